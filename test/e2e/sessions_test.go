package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
)

// sessionInfo is what `warden sessions --json` lists.
type sessionInfo struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Clients  int    `json:"clients"`
	Running  bool   `json:"running"`
	ExitCode *int   `json:"exitCode"`
}

func (w *world) sessions(id string) map[string]sessionInfo {
	w.t.Helper()
	var list []sessionInfo
	require.NoError(w.t, json.Unmarshal([]byte(w.mustCLI("sessions", "--json", id)), &list))
	m := map[string]sessionInfo{}
	for _, s := range list {
		m[s.Name] = s
	}
	return m
}

// attached is a running `warden attach` with its input and output.
type attached struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *lockedBuffer
}

func (w *world) attach(args ...string) *attached {
	w.t.Helper()
	a := &attached{cmd: w.cliCmd(noDocker, append([]string{"attach"}, args...)...), out: &lockedBuffer{}}
	var err error
	a.in, err = a.cmd.StdinPipe()
	require.NoError(w.t, err)
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	require.NoError(w.t, a.cmd.Start())
	w.t.Cleanup(func() { _ = a.cmd.Process.Kill(); _ = a.cmd.Wait() })
	return a
}

func (a *attached) waitFor(t *testing.T, text string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(a.out.String(), text) },
		20*time.Second, 50*time.Millisecond, "waiting for %q; got %q", text, a.out.String())
}

func TestDockerSessionOutlivesItsClient(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("none")

	// Bad input first: no session yet, an unknown one, a bad kind.
	_, errOut, err := w.cli("attach", id)
	require.Error(t, err)
	require.Contains(t, errOut, "has no running session")
	_, errOut, err = w.cli("attach", id, "nosuch")
	require.Error(t, err)
	require.Contains(t, errOut, `no session "nosuch"`)
	_, errOut, err = w.cli("attach", "--start", "emacs", id)
	require.Error(t, err)
	require.Contains(t, errOut, `"emacs"`)
	require.Contains(t, errOut, "shell")

	first := w.attach("--start", "shell", id, "work")
	_, err = io.WriteString(first.in, "echo marker-$((6*7))\n")
	require.NoError(t, err)
	first.waitFor(t, "marker-42")
	require.Eventually(t, func() bool { s := w.sessions(id)["work"]; return s.Running && s.Clients == 1 },
		10*time.Second, 50*time.Millisecond)

	// The client goes away without a word.
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	require.Eventually(t, func() bool { s := w.sessions(id)["work"]; return s.Running && s.Clients == 0 },
		10*time.Second, 50*time.Millisecond, "the session runs on with no client")
	_, errOut, err = w.cli("attach", "--start", "shell", id, "work")
	require.Error(t, err)
	require.Contains(t, errOut, `already has a running session "work"`)

	// From a terminal, Ctrl-] detaches and leaves the session running.
	tty := w.cliCmd(noDocker, "attach", id, "work")
	f, err := pty.StartWithSize(tty, &pty.Winsize{Rows: 30, Cols: 90})
	require.NoError(t, err)
	defer f.Close()
	var ttyOut lockedBuffer
	go func() { _, _ = io.Copy(&ttyOut, f) }()
	waitOut(t, &ttyOut, 20*time.Second, "the scrollback in a terminal", "marker-42")
	_, err = f.Write([]byte{0x1d})
	require.NoError(t, err)
	require.NoError(t, tty.Wait(), "detaching is a clean exit")
	waitOut(t, &ttyOut, 5*time.Second, "the detach message", "detached from session work")
	require.Eventually(t, func() bool { s := w.sessions(id)["work"]; return s.Running && s.Clients == 0 },
		10*time.Second, 50*time.Millisecond, "the session runs on after a detach")

	// Attaching again (the one running session) shows what was on screen.
	second := w.attach(id)
	second.waitFor(t, "marker-42")
	_, err = io.WriteString(second.in, "echo again-$((2+3))\n")
	require.NoError(t, err)
	second.waitFor(t, "again-5")

	// The end of the session is passed on with its exit code.
	_, err = io.WriteString(second.in, "exit 7\n")
	require.NoError(t, err)
	var ee *exec.ExitError
	require.True(t, errors.As(second.cmd.Wait(), &ee), "attach ends with the session: %s", second.out.String())
	require.Equal(t, 7, ee.ExitCode())
	require.Contains(t, second.out.String(), "session work exited with code 7")
	s := w.sessions(id)["work"]
	require.False(t, s.Running)
	require.NotNil(t, s.ExitCode)
	require.Equal(t, 7, *s.ExitCode)
	require.Contains(t, w.mustCLI("sessions", id), "exited (7)")

	// A stopped project starts no session.
	w.mustCLI("project", "stop", id)
	_, errOut, err = w.cli("attach", "--start", "shell", id)
	require.Error(t, err)
	require.Contains(t, errOut, "is not running")

	// A stream that closes under the client (the daemon is gone) says so.
	w.mustCLI("project", "start", id)
	last := w.attach("--start", "shell", id)
	_, err = io.WriteString(last.in, "echo ready-$((1+1))\n")
	require.NoError(t, err)
	last.waitFor(t, "ready-2")
	w.killDaemon()
	require.Error(t, last.cmd.Wait())
	require.Contains(t, last.out.String(), "the stream from the daemon closed before the command ended")
}
