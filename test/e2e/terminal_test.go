package e2e

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// noDocker points any Docker client the CLI might open at nothing: exec,
// shell, attach and sessions go through the daemon's API alone.
var noDocker = []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}

// cliCmd is the warden command against this world's daemon, over its
// socket, with env added.
func (w *world) cliCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bins.warden, append([]string{"--data", w.data}, args...)...)
	cmd.Env = append(append(os.Environ(), "WARDEN_ADDR=", "WARDEN_TOKEN="), env...)
	return cmd
}

// waitOut waits until out holds every one of texts.
func waitOut(t *testing.T, out *lockedBuffer, d time.Duration, what string, texts ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := out.String()
		missing := ""
		for _, text := range texts {
			if !strings.Contains(s, text) {
				missing = text
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q never showed (waited %s); output: %q", what, missing, d, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer collects a running command's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDockerExecGoesThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	ws := ownedWorkspace(t)
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ws, "--agent", "claude-code",
		"--image", agentImage, "--mode", "none", "--start"))

	run := func(stdin io.Reader, args ...string) (string, string, int) {
		t.Helper()
		cmd := w.cliCmd(noDocker, args...)
		var out, errOut bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return out.String(), errOut.String(), code
	}

	t.Run("exit codes", func(t *testing.T) {
		for _, want := range []int{0, 1, 3, 42, 255} {
			_, errOut, code := run(nil, "exec", id, "--", "sh", "-c", "exit "+itoa(want))
			require.Equal(t, want, code, errOut)
		}
		out, errOut, code := run(nil, "exec", id, "--", "no-such-program")
		require.Equal(t, 126, code, "the engine's code for a program it cannot start: %s%s", out, errOut)
		require.Contains(t, out+errOut, `"no-such-program": executable file not found`)
	})

	t.Run("stdin to its end", func(t *testing.T) {
		in := make([]byte, 3<<20)
		_, _ = rand.Read(in)
		out, errOut, code := run(bytes.NewReader(in), "exec", "-i", id, "--", "sh", "-c", "cat; echo done >&2")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, len(in), len(out))
		require.True(t, bytes.Equal(in, []byte(out)), "the command read exactly what was sent, and then its end")
		require.Equal(t, "done\n", errOut, "stderr comes apart from stdout")
		// Without -i the command gets no input at all.
		out, _, _ = run(strings.NewReader("ignored"), "exec", id, "--", "sh", "-c", "cat | wc -c")
		require.Equal(t, "0", strings.TrimSpace(out))
	})

	t.Run("large output, exact bytes", func(t *testing.T) {
		big := make([]byte, 6<<20)
		_, _ = rand.Read(big)
		require.NoError(t, os.WriteFile(filepath.Join(ws, "big.bin"), big, 0o644))
		out, errOut, code := run(nil, "exec", id, "--", "cat", "/workspace/big.bin")
		require.Equal(t, 0, code, errOut)
		require.Equal(t, len(big), len(out))
		require.True(t, bytes.Equal(big, []byte(out)), "6 MiB of output arrived byte for byte")
	})

	t.Run("terminal with resize", func(t *testing.T) {
		cmd := w.cliCmd(noDocker, "exec", "-it", id, "--", "sh", "-c",
			`stty size; test -t 0 && echo tty-in; while read x; do [ "$x" = q ] && exit 5; stty size; done`)
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
		require.NoError(t, err)
		defer f.Close()
		var out lockedBuffer
		go func() { _, _ = io.Copy(&out, f) }()
		waitOut(t, &out, 20*time.Second, "the first size", "30 100", "tty-in")
		require.NoError(t, pty.Setsize(f, &pty.Winsize{Rows: 40, Cols: 120}))
		// Each line typed prints the size again, until the new one shows.
		require.Eventually(t, func() bool {
			_, _ = f.Write([]byte("\n"))
			return strings.Contains(out.String(), "40 120")
		}, 20*time.Second, 200*time.Millisecond, "the new size did not reach the command's terminal: %q", out.String())
		_, err = f.Write([]byte("q\n"))
		require.NoError(t, err)
		var ee *exec.ExitError
		require.ErrorAs(t, cmd.Wait(), &ee)
		require.Equal(t, 5, ee.ExitCode(), "the exit code comes back through a terminal too")
	})

	t.Run("credentials", func(t *testing.T) {
		tcp := func(token string) *exec.Cmd {
			cmd := exec.Command(bins.warden, "--data", t.TempDir(), "--addr", w.addr, "exec", id, "--", "echo", "ran")
			cmd.Env = append(os.Environ(), "WARDEN_ADDR=", "WARDEN_TOKEN="+token)
			return cmd
		}
		out, err := tcp(w.token()).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, "ran", strings.TrimSpace(string(out)), "over TCP with the token it runs")

		for name, token := range map[string]string{"missing": "", "wrong": strings.Repeat("0", 64)} {
			out, err := tcp(token).CombinedOutput()
			require.Error(t, err, "a %s token", name)
			require.NotContains(t, string(out), "ran")
			require.Contains(t, string(out), "needs an authenticated caller", "a %s token: %s", name, out)
		}
	})

	t.Run("stopped project", func(t *testing.T) {
		w.mustCLI("project", "stop", id)
		_, errOut, code := run(nil, "exec", id, "--", "true")
		require.NotEqual(t, 0, code)
		require.Contains(t, errOut, "is not running")
		require.Contains(t, errOut, "warden project start")
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
