package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/project"
)

// Exec of the fake runtime echoes its terminal's input and ends with the
// code in a line "exit N"; it records the commands it ran.
func (r *fakeRuntime) Exec(ctx context.Context, id string, cmd []string, opts ExecOptions) (int, error) {
	r.mu.Lock()
	r.record(fmt.Sprintf("exec %s %q", id, cmd))
	r.mu.Unlock()
	// The real runtime closes its connection when ctx ends.
	if c, ok := opts.Stdin.(interface{ Close() error }); ok {
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		defer stop()
	}
	buf := make([]byte, 256)
	for {
		n, err := opts.Stdin.Read(buf)
		if n > 0 {
			var code int
			if _, e := fmt.Sscanf(string(buf[:n]), "exit %d", &code); e == nil {
				return code, nil
			}
			_, _ = opts.Stdout.Write(buf[:n])
		}
		if err != nil {
			return -1, err
		}
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
	}
}

func TestSessionsStartListAttachAndEnd(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	ctx := context.Background()
	env.rt.states[p.ID] = runningState()

	shell, err := env.d.StartSession(ctx, "web", termwire.SessionRequest{Kind: "shell"})
	require.NoError(t, err)
	require.Equal(t, "shell-1", shell.Name)
	require.True(t, shell.Running)
	agent, err := env.d.StartSession(ctx, p.ID, termwire.SessionRequest{Kind: "agent", Name: "claude"})
	require.NoError(t, err)
	require.Equal(t, "claude", agent.Name)
	require.Equal(t, []string{"claude"}, agent.Command, "the agent type's command is shown")

	_, err = env.d.StartSession(ctx, "web", termwire.SessionRequest{Kind: "shell", Name: "claude"})
	require.ErrorIs(t, err, ErrConflict)
	require.ErrorContains(t, err, `already has a running session "claude"`)

	list, err := env.d.Sessions(ctx, "web")
	require.NoError(t, err)
	require.Len(t, list, 2)

	s, err := env.d.Session(ctx, "web", "shell-1")
	require.NoError(t, err)
	c, _ := s.Attach()
	_, err = c.Write([]byte("exit 3"))
	require.NoError(t, err)
	<-s.Done()
	info := s.Info()
	require.False(t, info.Running)
	require.Equal(t, 3, *info.ExitCode)

	// An ended session's name may be used again.
	again, err := env.d.StartSession(ctx, "web", termwire.SessionRequest{Name: "shell-1"})
	require.NoError(t, err)
	require.True(t, again.Running)

	// Each session's exec starts on a goroutine of its own.
	var calls []string
	require.Eventually(t, func() bool {
		env.rt.mu.Lock()
		calls = append(calls[:0], env.rt.calls...)
		env.rt.mu.Unlock()
		return slices.Contains(calls, fmt.Sprintf("exec %s %q", p.ID, shellCommand)) &&
			slices.Contains(calls, fmt.Sprintf("exec %s %q", p.ID, []string(nil)))
	}, 5*time.Second, 5*time.Millisecond, "the shell's session runs the shell, the agent's the container's agent command: %q", &calls)

	env.d.forgetSessions(p.ID)
	list, err = env.d.Sessions(ctx, "web")
	require.NoError(t, err)
	require.Empty(t, list)
}

func TestSessionsRefuseBadInput(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	ctx := context.Background()

	_, err := env.d.StartSession(ctx, "web", termwire.SessionRequest{Kind: "shell"})
	require.ErrorIs(t, err, ErrNotRunning, "a stopped project")
	require.ErrorContains(t, err, "warden project start web")
	_, err = env.d.StartSession(ctx, "nope", termwire.SessionRequest{})
	require.ErrorIs(t, err, ErrNotFound)

	env.rt.states[p.ID] = runningState()
	tests := []struct {
		name  string
		req   termwire.SessionRequest
		field string
	}{
		{"kind", termwire.SessionRequest{Kind: "emacs"}, "kind"},
		{"kind with cmd", termwire.SessionRequest{Kind: "shell", Cmd: []string{"top"}}, "kind"},
		{"empty program", termwire.SessionRequest{Cmd: []string{""}}, "cmd"},
		{"name with a space", termwire.SessionRequest{Name: "my shell"}, "name"},
		{"name too long", termwire.SessionRequest{Name: "a123456789012345678901234567890123"}, "name"},
		{"size", termwire.SessionRequest{Rows: 0, Cols: 5000}, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.d.StartSession(ctx, "web", tt.req)
			var fe *project.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, tt.field, fe.Field)
		})
	}
	list, err := env.d.Sessions(ctx, "web")
	require.NoError(t, err)
	require.Empty(t, list, "nothing half-started")

	_, err = env.d.Session(ctx, "web", "ghost")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorContains(t, err, `no session "ghost" (it has none`)
}
