package kube

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/runtime"
)

func TestExecArgv(t *testing.T) {
	cmd := []string{"ls", "-l"}
	require.Equal(t, cmd, execArgv(cmd, runtime.ExecOptions{}), "nothing to set: the command runs as it is")
	require.Equal(t, cmd, execArgv(cmd, runtime.ExecOptions{TTY: true}), "a terminal with no size keeps the engine's")
	require.Equal(t, cmd, execArgv(cmd, runtime.ExecOptions{Size: [2]uint{40, 120}}), "a size without a terminal means nothing")

	got := execArgv(cmd, runtime.ExecOptions{TTY: true, Size: [2]uint{40, 120}, Env: []string{"TERM=xterm", "A=b c"}, WorkingDir: "/tmp"})
	require.Equal(t, []string{"/bin/sh", "-c", prepare, "sh", "40", "120", "/tmp", "2", "TERM=xterm", "A=b c", "ls", "-l"}, got)
}

// TestExecPrepareScript runs the wrapper with this machine's /bin/sh, as
// the agent's would.
func TestExecPrepareScript(t *testing.T) {
	run := func(cmd []string, opts runtime.ExecOptions) (int, string, string) {
		t.Helper()
		argv := execArgv(cmd, opts)
		c := exec.Command(argv[0], argv[1:]...)
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errOut.String()
		}
		require.NoError(t, err)
		return 0, out.String(), errOut.String()
	}
	dir := t.TempDir()
	code, out, _ := run([]string{"sh", "-c", `pwd; echo "$GREETING|$SPACED"`}, runtime.ExecOptions{
		WorkingDir: dir, Env: []string{"GREETING=hello", "SPACED=a b  'c' $HOME"},
	})
	require.Zero(t, code)
	require.Equal(t, dir+"\nhello|a b  'c' $HOME\n", out, "folder and variables set, values taken literally")

	code, _, errOut := run([]string{"no-such-command", "x"}, runtime.ExecOptions{Env: []string{"A=1"}})
	require.Equal(t, 126, code, "a missing program ends with 126, as on Docker")
	require.Contains(t, errOut, `"no-such-command": executable file not found`)

	code, _, _ = run([]string{"sh", "-c", "exit 3"}, runtime.ExecOptions{Env: []string{"A=1"}})
	require.Equal(t, 3, code, "the exit code passes through")

	code, _, _ = run([]string{"true"}, runtime.ExecOptions{WorkingDir: dir + "/missing"})
	require.Equal(t, 126, code, "a missing folder fails before the command")
}

func TestExecRefusesWhatPodExecCannotDo(t *testing.T) {
	r := &Runtime{cfg: Config{Namespace: "ns"}}
	_, err := r.Exec(t.Context(), "a1b2c3d4e5f6", []string{"id"}, runtime.ExecOptions{User: "root"})
	require.ErrorIs(t, err, ErrExecUser)
	require.ErrorContains(t, err, `"root"`)

	for _, kv := range []string{"NOEQUALS", "1A=x", "A-B=x", "=x", "A B=x"} {
		_, err = r.Exec(t.Context(), "a1b2c3d4e5f6", []string{"id"}, runtime.ExecOptions{Env: []string{kv}})
		require.ErrorContains(t, err, `"`+kv+`"`, "entry %q", kv)
		require.ErrorContains(t, err, "NAME=VALUE")
	}
	_, err = r.Exec(t.Context(), "../etc", []string{"id"}, runtime.ExecOptions{})
	require.ErrorContains(t, err, `bad project id "../etc"`)
}

func TestExecExitOf(t *testing.T) {
	code, err := exitOf(nil, "ls", "warden-x", nil, nil)
	require.NoError(t, err)
	require.Zero(t, code)

	code, err = exitOf(utilexec.CodeExitError{Err: errors.New("command terminated with non-zero exit code"), Code: 3}, "sh", "warden-x", nil, nil)
	require.NoError(t, err)
	require.Equal(t, 3, code)

	// containerd's words when runc cannot start the program.
	notFound := errors.New(`Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "0f1e": OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown`)
	var out, errOut bytes.Buffer
	code, err = exitOf(notFound, "nope", "warden-x", &out, &errOut)
	require.NoError(t, err)
	require.Equal(t, 126, code)
	require.Contains(t, errOut.String(), "executable file not found")
	require.Empty(t, out.String())

	out.Reset()
	code, err = exitOf(notFound, "nope", "warden-x", &out, nil)
	require.NoError(t, err)
	require.Equal(t, 126, code)
	require.Contains(t, out.String(), "executable file not found", "a terminal has one stream")

	broken := errors.New("error dialing backend: connection reset")
	code, err = exitOf(broken, "ls", "warden-x", nil, nil)
	require.Equal(t, -1, code)
	require.ErrorIs(t, err, broken)
	require.ErrorContains(t, err, `running "ls" in warden-x`)
}

func TestExecSizeQueue(t *testing.T) {
	sizes := make(chan [2]uint, 1)
	done := make(chan struct{})
	q := newSizeQueue([2]uint{40, 120}, sizes, done)
	require.Equal(t, uint16(40), q.Next().Height, "the first size comes first")
	sizes <- [2]uint{50, 100000}
	s := q.Next()
	require.Equal(t, uint16(50), s.Height)
	require.Equal(t, uint16(0xffff), s.Width, "a width past the protocol's range is capped")
	close(done)
	require.Nil(t, q.Next(), "the end of the exec ends the queue")

	q = newSizeQueue([2]uint{}, sizes, make(chan struct{}))
	close(sizes)
	require.Nil(t, q.Next(), "no first size, and a closed channel ends it")
}

func TestPodRecordsTheAgentCommand(t *testing.T) {
	r, _ := testRuntime(t)
	def := agent.Definition{Name: "claude-code", Image: "img", Command: []string{"claude", "--resume"}}
	pod := r.podSpec(testProject(), def, "https://192.0.2.1:6443", 6443, agentFiles{})
	require.Equal(t, []string{"claude", "--resume"}, podAgentCommand(pod))
	require.Nil(t, podAgentCommand(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{annotAgentCommand: "not json"}}}))
	require.True(t, strings.HasPrefix(pod.Annotations[annotAgentCommand], "["))
}
