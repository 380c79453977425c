package kube

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/kube"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/shared"
)

// run execs cmd in the project's agent through the runtime (the API
// server's pod exec) and returns its exit code and output.
func (e *env) run(t *testing.T, id string, opts runtime.ExecOptions, cmd ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	opts.Stdout, opts.Stderr = &out, &errOut
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := e.rt.Exec(ctx, id, cmd, opts)
	require.NoError(t, err, "exec %v", cmd)
	return code, out.String(), errOut.String()
}

// TestKubeExec runs commands in the agent container through the API
// server, as the daemon's exec and terminals do on this backend.
func TestKubeExec(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeNone)
	e.start(t, p)

	for _, tc := range []struct {
		name           string
		cmd            []string
		opts           runtime.ExecOptions
		code           int
		stdout, stderr string
	}{
		{"exit 0", []string{"true"}, runtime.ExecOptions{}, 0, "", ""},
		{"exit 3", []string{"sh", "-c", "exit 3"}, runtime.ExecOptions{}, 3, "", ""},
		{"exit 255", []string{"sh", "-c", "exit 255"}, runtime.ExecOptions{}, 255, "", ""},
		{"streams apart", []string{"sh", "-c", "echo out; echo err >&2"}, runtime.ExecOptions{}, 0, "out\n", "err\n"},
		{"image user", []string{"id", "-un"}, runtime.ExecOptions{}, 0, "agent\n", ""},
		// No new privileges on this backend (TestKubeAgentRules): sudo
		// cannot make the agent root.
		{"sudo gains nothing", []string{"sh", "-c", "sudo -n id -u 2>/dev/null || echo refused"}, runtime.ExecOptions{}, 0, "refused\n", ""},
		{"workspace", []string{"pwd"}, runtime.ExecOptions{}, 0, "/workspace\n", ""},
		{"environment and folder", []string{"sh", "-c", `pwd; echo "$GREETING"`},
			runtime.ExecOptions{Env: []string{"GREETING=hello there"}, WorkingDir: "/tmp"}, 0, "/tmp\nhello there\n", ""},
		{"missing program", []string{"no-such-command"}, runtime.ExecOptions{}, 126, "", ""},
		{"missing program behind the wrapper", []string{"no-such-command"}, runtime.ExecOptions{Env: []string{"A=1"}}, 126, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := e.run(t, p.ID, tc.opts, tc.cmd...)
			require.Equal(t, tc.code, code, "stdout %q stderr %q", out, errOut)
			if tc.code == 126 {
				require.Contains(t, errOut, "no-such-command", "the reason is on stderr")
				return
			}
			require.Equal(t, tc.stdout, out)
			require.Equal(t, tc.stderr, errOut)
		})
	}

	t.Run("stdin round trip", func(t *testing.T) {
		in := strings.Repeat("hello kubernetes\n", 4000) // 68 kB, past any one frame
		var out bytes.Buffer
		code, err := e.rt.Exec(context.Background(), p.ID, []string{"tr", "a-z", "A-Z"},
			runtime.ExecOptions{Stdin: strings.NewReader(in), Stdout: &out})
		require.NoError(t, err)
		require.Zero(t, code)
		require.Equal(t, strings.ToUpper(in), out.String(), "all of stdin came back, and its end ended the command")
	})

	t.Run("terminal starts at its size", func(t *testing.T) {
		code, out, _ := e.run(t, p.ID, runtime.ExecOptions{TTY: true, Size: [2]uint{40, 120}, Env: []string{"TERM=xterm-256color"}},
			"sh", "-c", `stty size; echo "$TERM"; test -t 0 && test -t 1 && exit 4`)
		require.Equal(t, 4, code, "stdin and stdout are a terminal; output %q", out)
		require.Equal(t, "40 120\r\nxterm-256color\r\n", out, "the size is there before the command's first look")
	})

	t.Run("terminal follows resizes", func(t *testing.T) {
		sizes := make(chan [2]uint, 1)
		out := &signalWriter{mark: "started", seen: make(chan struct{})}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// The resize is sent once the command runs (as a browser resizes a
		// running terminal), and the command waits for it.
		script := `echo started; for i in $(seq 200); do [ "$(stty size)" = "33 99" ] && break; sleep 0.05; done; stty size; exit 3`
		go func() {
			select {
			case <-out.seen:
				sizes <- [2]uint{33, 99}
			case <-ctx.Done():
			}
		}()
		code, err := e.rt.Exec(ctx, p.ID, []string{"sh", "-c", script},
			runtime.ExecOptions{TTY: true, Size: [2]uint{24, 80}, Stdout: out, Resize: sizes})
		require.NoError(t, err)
		require.Equal(t, 3, code)
		require.Equal(t, "started\r\n33 99", strings.TrimSpace(out.String()))
	})

	t.Run("a terminal's missing program", func(t *testing.T) {
		code, out, _ := e.run(t, p.ID, runtime.ExecOptions{TTY: true}, "no-such-command")
		require.Equal(t, 126, code)
		require.Contains(t, out, "no-such-command", "a terminal has one stream: the reason is on it")
	})

	t.Run("no command runs the agent type's", func(t *testing.T) {
		// The test image has no claude: the pod recorded the command, and
		// the exec tried it.
		code, _, errOut := e.run(t, p.ID, runtime.ExecOptions{})
		require.Equal(t, 126, code)
		require.Contains(t, errOut, "claude")
	})

	t.Run("another user is refused", func(t *testing.T) {
		_, err := e.rt.Exec(context.Background(), p.ID, []string{"id"}, runtime.ExecOptions{User: "root"})
		require.ErrorIs(t, err, kube.ErrExecUser)
	})

	t.Run("ending the context ends the exec", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := e.rt.Exec(ctx, p.ID, []string{"sleep", "60"}, runtime.ExecOptions{})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 10*time.Second)
	})

	t.Run("a stopped project", func(t *testing.T) {
		other := newProject(t, shared.ModeNone)
		_, err := e.rt.Exec(context.Background(), other.ID, []string{"true"}, runtime.ExecOptions{})
		require.ErrorContains(t, err, "has no pod; start the project first")
		require.False(t, errors.Is(err, context.Canceled))
	})
}

// TestKubeExecThroughTheDaemon drives exec and a terminal session as a
// user does, through the daemon's API (the CLI's WebSocket streams) with
// the daemon on the Kubernetes backend.
func TestKubeExecThroughTheDaemon(t *testing.T) {
	e := newEnv(t)
	s := serve(t, e)
	id := s.createProject(t)

	code, _, errOut := s.cli(t, "", "exec", id, "--", "sh", "-c", "exit 3")
	require.Equal(t, 3, code, "the exit code passes through: %s", errOut)
	code, _, errOut = s.cli(t, "", "exec", id, "--", "no-such-command")
	require.Equal(t, 126, code, "a missing program: %s", errOut)
	require.Contains(t, errOut, "no-such-command")

	code, out, errOut := s.cli(t, "hello through the API\n", "exec", "-i", id, "--", "tr", "a-z", "A-Z")
	require.Zero(t, code, errOut)
	require.Equal(t, "HELLO THROUGH THE API\n", out)

	require.Equal(t, "terminal", strings.TrimSpace(s.mustCLI(t, "exec", "-t", id, "--", "sh", "-c", "test -t 1 && echo terminal || echo pipe")))
	require.Equal(t, "agent", strings.TrimSpace(s.mustCLI(t, "exec", id, "--", "id", "-un")))

	code, _, errOut = s.cli(t, "", "exec", "--user", "root", id, "--", "id")
	require.NotZero(t, code)
	require.Contains(t, errOut, "as the agent container's own user only")

	// A terminal session: started at its size with TERM set, fed through
	// attach, its exit code kept.
	info := postSession(t, s, id, `{"name":"check","cmd":["sh","-c","stty size; echo \"$TERM\"; read line; echo \"got $line\"; exit 5"],"rows":30,"cols":100}`)
	require.Equal(t, "check", info)
	code, out, errOut = s.cli(t, "hello\n", "attach", id, "check")
	require.Equal(t, 5, code, "attach ends with the session's exit code: %s%s", out, errOut)
	require.Contains(t, out, "30 100")
	require.Contains(t, out, "xterm-256color")
	require.Contains(t, out, "got hello")
	list := s.mustCLI(t, "sessions", id)
	require.Contains(t, list, "exited (5)")
}

// signalWriter keeps what is written and closes seen once mark is in it.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	mark string
	seen chan struct{}
	done bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.mark) {
		w.done = true
		close(w.seen)
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
