package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-sh/warden/host/project"
)

// lifecycleContext detaches a start, stop or removal from the caller, so a
// client that goes away does not leave containers half made, and bounds it.
func (d *Daemon) lifecycleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.cfg.ReadyTimeout+2*time.Minute)
}

// Start records the project as running, starts its sidecar and then its
// agent (the runtime waits for the sidecar to be ready), and pushes the
// stored policy. When the containers cannot be started, a project that was
// stopped stays stopped and the error is returned.
func (d *Daemon) Start(ctx context.Context, ref string) (project.Project, PushResult, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return project.Project{}, PushResult{}, err
	}
	ctx, cancel := d.lifecycleContext(ctx)
	defer cancel()
	unlock := d.lifecycle.Lock(p.ID)
	defer unlock()
	return d.startLocked(ctx, p.ID, ref)
}

func (d *Daemon) startLocked(ctx context.Context, id, ref string) (project.Project, PushResult, error) {
	before, err := d.store.Get(id)
	if err != nil {
		if isStoreNotFound(err) {
			return project.Project{}, PushResult{}, notFound(ref)
		}
		return project.Project{}, PushResult{}, fmt.Errorf("reading project %s: %w", id, err)
	}
	p, err := d.setDesired(id, project.DesiredRunning)
	if err != nil {
		return project.Project{}, PushResult{}, err
	}
	if err := d.rt.Start(ctx, p); err != nil {
		d.startFailed(id, err)
		if before.Desired != project.DesiredRunning {
			if _, rerr := d.setDesired(id, project.DesiredStopped); rerr != nil {
				d.log.Warn("recording failed start", "project", id, "err", rerr)
			}
			d.stopFollower(id)
		}
		return before, PushResult{}, err // the runtime names the project and the step
	}
	d.startSucceeded(id)
	d.log.Info("project started", "project", id, "name", p.Name)
	d.ensureFollower(id)
	res, latest := d.push(ctx, id)
	if latest.ID != "" {
		p = latest
	}
	return p, res, nil
}

// Stop records the project as stopped and stops its containers.
func (d *Daemon) Stop(ctx context.Context, ref string) (project.Project, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return project.Project{}, err
	}
	ctx, cancel := d.lifecycleContext(ctx)
	defer cancel()
	unlock := d.lifecycle.Lock(p.ID)
	defer unlock()
	return d.stopLocked(ctx, p.ID, ref)
}

func (d *Daemon) stopLocked(ctx context.Context, id, ref string) (project.Project, error) {
	p, err := d.setDesired(id, project.DesiredStopped)
	if err != nil {
		if isStoreNotFound(err) {
			return project.Project{}, notFound(ref)
		}
		return project.Project{}, err
	}
	d.stopFollower(id)
	d.startSucceeded(id) // a stopped project has no start to retry
	if err := d.rt.Stop(ctx, id); err != nil {
		return p, fmt.Errorf("stopping project %s: %w", id, err)
	}
	d.log.Info("project stopped", "project", id, "name", p.Name)
	return p, nil
}

// Restart stops the project's containers and starts them again.
func (d *Daemon) Restart(ctx context.Context, ref string) (project.Project, PushResult, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return project.Project{}, PushResult{}, err
	}
	ctx, cancel := d.lifecycleContext(ctx)
	defer cancel()
	unlock := d.lifecycle.Lock(p.ID)
	defer unlock()
	if err := d.rt.Stop(ctx, p.ID); err != nil {
		return p, PushResult{}, fmt.Errorf("stopping project %s: %w", p.ID, err)
	}
	return d.startLocked(ctx, p.ID, ref)
}

// startHealth remembers failed starts, for the status and to space out
// retries.
type startHealth struct {
	failures int
	lastErr  string
	retryAt  time.Time
}

const maxRetryDelay = time.Minute

func (d *Daemon) startFailed(id string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.starts[id]
	h.failures++
	h.lastErr = err.Error()
	delay := time.Second << min(h.failures-1, 6)
	h.retryAt = d.now().Add(min(delay, maxRetryDelay))
	d.starts[id] = h
	d.log.Warn("starting project failed", "project", id, "failures", h.failures, "err", err)
}

func (d *Daemon) startSucceeded(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.starts, id)
}

// mayRetryStart says whether the spacing after failed starts has passed.
func (d *Daemon) mayRetryStart(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.starts[id]
	return !ok || !d.now().Before(h.retryAt)
}

func (d *Daemon) startError(id string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts[id].lastErr
}
