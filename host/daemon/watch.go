package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/host/wait"
)

// watchRuntime follows Docker's container events for as long as the daemon
// runs, reconnecting when the stream breaks. After a reconnect every
// project is converged again, since events were missed meanwhile.
func (d *Daemon) watchRuntime(ctx context.Context) {
	const maxDelay = 30 * time.Second
	delay := time.Second
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			d.spawn(func(ctx context.Context) { d.convergeAll(ctx, trigger{force: true}) })
		}
		began := time.Now()
		err := d.rt.Watch(ctx, d.onContainerEvent)
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("container events stream ended; watching again", "err", err, "in", delay)
		if time.Since(began) > maxDelay {
			delay = time.Second
		}
		if wait.Sleep(ctx, delay) != nil {
			return
		}
		delay = min(2*delay, maxDelay)
	}
}

// onContainerEvent turns one Docker event into a converge of its project.
// A sidecar that (re)started gets the current policy at once and its agent
// is moved into the new namespace by the runtime's Start. A container that
// died or went away is looked at after a pause, which leaves Docker's
// restart policy the first move.
func (d *Daemon) onContainerEvent(id, role, action string) {
	d.previews.containers.Add(1)
	switch action {
	case "start", "restart":
		if role == runtime.RoleSidecar {
			d.log.Info("sidecar started", "project", id)
			d.kick(id, trigger{force: true, push: true})
		}
	case "die", "stop", "kill", "oom", "destroy", "pause":
		d.log.Debug("container event", "project", id, "role", role, "action", action)
		d.spawn(func(ctx context.Context) {
			if wait.Sleep(ctx, d.settle) == nil {
				d.kick(id, trigger{})
			}
		})
	}
}
