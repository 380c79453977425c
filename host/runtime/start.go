package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-sh/warden/host/project"
)

// Start brings the project's containers to running under its current
// policy, and may be called again and again: it writes the policy file,
// makes sure the sidecar exists with the current spec and is running, and
// while it gets ready makes sure the agent container exists with the
// current spec; the agent runs, in the sidecar's current namespace, only
// once the sidecar reports ready. A container made from an older
// spec (image rebuilt, settings changed) is recreated; an agent started
// before its sidecar's latest start is restarted.
func (r *Runtime) Start(ctx context.Context, p project.Project) error {
	if err := checkID(p.ID); err != nil {
		return err
	}
	defer r.locks.Lock(p.ID)()
	begin := time.Now()
	if err := r.WritePolicy(p.ID, p.Policy()); err != nil {
		return err
	}
	// What the agent needs is checked before anything runs, so a bad
	// workspace or a missing image leaves no sidecar behind either.
	agent, err := r.prepareAgent(ctx, p)
	if err != nil {
		r.unmountViews(p.ID)
		return fmt.Errorf("starting project %s: %w", p.ID, err)
	}
	// The engine binds the views when the agent starts; the container
	// keeps its own copy, so the host needs them no longer than that.
	defer r.unmountViews(p.ID)
	sidecar, err := r.ensureSidecar(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("starting project %s: %w", p.ID, err)
	}
	// The agent container is created while the sidecar gets ready; it
	// only starts once the sidecar is.
	readyCtx, cancelReady := context.WithCancel(ctx)
	defer cancelReady()
	ready := make(chan error, 1)
	go func() { ready <- r.waitReady(readyCtx, p.ID, sidecar.ID) }()
	agentC, err := r.createAgent(ctx, agent, sidecar)
	if err != nil {
		cancelReady()
		<-ready
		return fmt.Errorf("starting project %s: %w", p.ID, err)
	}
	if err := <-ready; err != nil {
		return fmt.Errorf("starting project %s: %w", p.ID, err)
	}
	sidecarDone := time.Now()
	if err := r.runAgent(ctx, agent, agentC, sidecar); err != nil {
		return fmt.Errorf("starting project %s: %w", p.ID, err)
	}
	r.log.Info("project running", "project", p.ID, "ms", time.Since(begin).Milliseconds(),
		"sidecar_ms", sidecarDone.Sub(begin).Milliseconds(), "agent_ms", time.Since(sidecarDone).Milliseconds())
	return nil
}
