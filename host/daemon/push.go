package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/warden-sh/warden/host/project"
)

// PushResult is the API's wire type (host/api/wire).
type PushResult = wire.PushResult

// push sends the project's current stored policy to its sidecar and records
// the confirmation. It returns the project as stored afterwards (zero when
// it could not be read).
func (d *Daemon) push(ctx context.Context, id string) (PushResult, project.Project) {
	return d.pushCutting(ctx, id, false)
}

// pushCutting is push that, when cut is set, asks the sidecar to cut the
// open connections to the addresses of the domains the change removes. A
// cut is asked once: a push left pending is retried without it.
func (d *Daemon) pushCutting(ctx context.Context, id string, cut bool) (PushResult, project.Project) {
	unlock := d.pushes.Lock(id)
	defer unlock()
	return d.pushLocked(ctx, id, false, cut)
}

// pushLocked is push for a caller holding the project's push lock. quiet
// keeps repeated failures of the reconcile loop out of the log.
func (d *Daemon) pushLocked(ctx context.Context, id string, quiet, cut bool) (PushResult, project.Project) {
	p, err := d.store.Get(id)
	if err != nil {
		return PushResult{Pending: true, Error: "reading the stored policy: " + err.Error()}, project.Project{}
	}
	policy, gen := p.Policy(), p.PolicyGen
	// The file is what a sidecar reads when it (re)starts; keep it current
	// even when the push itself fails.
	if err := d.rt.WritePolicy(id, policy); err != nil {
		d.log.Warn("writing policy file", "project", id, "err", err)
	}
	pctx, cancel := context.WithTimeout(ctx, d.cfg.PushTimeout)
	sent := policy
	sent.Cut = cut
	began := time.Now()
	res, err := d.sc.PutPolicy(pctx, d.rt.SocketPath(id), sent)
	cancel()
	if err == nil && d.onApply != nil {
		d.onApply(id, time.Since(began))
	}
	if err != nil {
		reason := pushReason(err, d.cfg.PushTimeout.String())
		if quiet {
			d.log.Debug("policy push pending", "project", id, "gen", gen, "err", err)
		} else {
			d.log.Warn("policy push pending", "project", id, "gen", gen, "err", err)
		}
		return PushResult{Pending: true, Error: reason}, p
	}
	updated, err := d.store.Update(id, func(cur project.Project) (project.Project, error) {
		if cur.AppliedGen < gen {
			cur.AppliedGen = gen
		}
		return cur, nil
	})
	if err != nil {
		d.log.Warn("recording applied policy", "project", id, "gen", gen, "err", err)
		updated = p
	}
	d.log.Info("policy applied", "project", id, "gen", gen, "mode", policy.Mode,
		"domains", len(policy.Domains), "ms", res.DurationMs)
	// The policy sent was the newest stored, so it includes the caller's
	// change even when a later edit makes the project pending again.
	return PushResult{Applied: true, DurationMs: res.DurationMs, Cut: res.Cut}, updated
}

// reconcilePushes retries, every ReconcileInterval, the pending policy of
// every project meant to be running. A project whose push is in flight is
// skipped.
func (d *Daemon) reconcilePushes(ctx context.Context) {
	t := time.NewTicker(d.cfg.ReconcileInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.retryPending(ctx)
	}
}

func (d *Daemon) retryPending(ctx context.Context) {
	ps, err := d.store.List()
	if err != nil {
		d.log.Warn("listing projects for pending pushes", "err", err)
		return
	}
	for _, p := range ps {
		if p.Desired != project.DesiredRunning || !p.Pending() {
			continue
		}
		l := d.pushes.Get(p.ID)
		if !l.TryLock() {
			continue
		}
		id := p.ID
		if !d.spawn(func(ctx context.Context) {
			defer l.Unlock()
			d.pushLocked(ctx, id, true, false)
		}) {
			l.Unlock()
		}
	}
}
