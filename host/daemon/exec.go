package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/warden-sh/warden/host/runtime"
)

// ErrNotRunning marks a request that needs the project's agent running.
var ErrNotRunning = errors.New("project not running")

// ExecOptions say how a command runs in the agent and where its streams go.
type ExecOptions = runtime.ExecOptions

// Exec runs cmd in the agent container of the project ref names (no cmd:
// the agent type's command) as the image's user, unless opts names
// another, and returns its exit code.
func (d *Daemon) Exec(ctx context.Context, ref string, cmd []string, opts ExecOptions) (int, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return -1, err
	}
	if err := d.agentRunning(ctx, p.ID, p.Name); err != nil {
		return -1, err
	}
	return d.rt.Exec(ctx, p.ID, cmd, opts)
}

// agentRunning returns ErrNotRunning, saying how to start it, unless the
// project's agent container runs.
func (d *Daemon) agentRunning(ctx context.Context, id, name string) error {
	st, err := d.rt.State(ctx, id)
	if err != nil {
		return fmt.Errorf("reading the state of project %s: %w", id, err)
	}
	if st.Agent.Status != "running" {
		status := st.Agent.Status
		if status == "" || status == runtime.StatusMissing {
			status = "no agent container"
		}
		return fmt.Errorf("%w: the agent of project %s is not running (%s); start it with `warden project start %s`",
			ErrNotRunning, name, status, name)
	}
	return nil
}
