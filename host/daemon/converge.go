package daemon

import (
	"context"
	"sync"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/host/wait"
)

// trigger says how hard to converge a project. force calls the runtime's
// (idempotent) Start even when the containers look fine, which is how an
// agent left in an old sidecar namespace is moved; push sends the policy
// even when the store says the sidecar has it.
type trigger struct {
	force bool
	push  bool
}

func (t trigger) merge(o trigger) trigger {
	return trigger{force: t.force || o.force, push: t.push || o.push}
}

// kicker runs at most one converge per project at a time and folds the
// triggers that arrive meanwhile into one more run.
type kicker struct {
	mu      sync.Mutex
	pending map[string]trigger
	running map[string]bool
}

// kick converges project id in the background.
func (d *Daemon) kick(id string, t trigger) {
	k := &d.kicks
	k.mu.Lock()
	defer k.mu.Unlock()
	k.pending[id] = k.pending[id].merge(t)
	if k.running[id] {
		return
	}
	k.running[id] = true
	if !d.spawn(func(ctx context.Context) { d.drainKicks(ctx, id) }) {
		delete(k.running, id)
		delete(k.pending, id)
	}
}

func (d *Daemon) drainKicks(ctx context.Context, id string) {
	k := &d.kicks
	for {
		k.mu.Lock()
		t, ok := k.pending[id]
		if !ok || ctx.Err() != nil {
			delete(k.running, id)
			delete(k.pending, id)
			k.mu.Unlock()
			return
		}
		delete(k.pending, id)
		k.mu.Unlock()
		d.converge(ctx, id, t)
	}
}

// converge brings one project's containers to its desired state: running
// (started, policy pushed when pending) or stopped; containers of a project
// that no longer exists are removed.
func (d *Daemon) converge(ctx context.Context, id string, t trigger) {
	ctx, cancel := d.lifecycleContext(ctx)
	defer cancel()
	unlock := d.lifecycle.Lock(id)
	defer unlock()

	p, err := d.store.Get(id)
	if isStoreNotFound(err) {
		d.removeOrphan(ctx, id)
		return
	}
	if err != nil {
		d.log.Warn("reading project to converge", "project", id, "err", err)
		return
	}
	d.ensureWardenWatch(p)
	if p.Desired != project.DesiredRunning {
		d.convergeStopped(ctx, p)
		return
	}
	d.ensureFollower(id)
	if !t.force {
		st, err := d.rt.State(ctx, id)
		if err != nil {
			d.log.Warn("reading container state", "project", id, "err", err)
			return
		}
		if st.Running {
			if t.push || p.Pending() {
				d.push(ctx, id)
			}
			return
		}
		if !d.mayRetryStart(id) {
			return
		}
		d.log.Info("containers not running; starting", "project", id,
			"sidecar", st.Sidecar.Status, "agent", st.Agent.Status)
	}
	if err := d.rt.Start(ctx, p); err != nil {
		d.startFailed(id, err)
		return
	}
	d.startSucceeded(id)
	if t.push || p.Pending() {
		d.push(ctx, id)
	}
}

func (d *Daemon) convergeStopped(ctx context.Context, p project.Project) {
	d.stopFollower(p.ID)
	st, err := d.rt.State(ctx, p.ID)
	if err != nil {
		d.log.Warn("reading container state", "project", p.ID, "err", err)
		return
	}
	if !running(st.Sidecar) && !running(st.Agent) {
		return
	}
	d.log.Info("stopping containers of a stopped project", "project", p.ID)
	if err := d.rt.Stop(ctx, p.ID); err != nil {
		d.log.Warn("stopping containers", "project", p.ID, "err", err)
	}
}

func running(c runtime.ContainerState) bool { return c.Status == "running" || c.Status == "restarting" }

// removeOrphan removes the containers and files of a project that is gone.
func (d *Daemon) removeOrphan(ctx context.Context, id string) {
	d.stopFollower(id)
	d.stopWardenWatch(id)
	d.forget(id)
	if err := d.rt.Remove(ctx, id); err != nil {
		d.log.Warn("removing containers of a deleted project", "project", id, "err", err)
		return
	}
	d.log.Info("removed containers of a deleted project", "project", id)
}

// convergeAll converges every stored project and every project that still
// has containers, waiting for all of them.
func (d *Daemon) convergeAll(ctx context.Context, t trigger) {
	ids := make(map[string]bool)
	ps, err := d.store.List()
	if err != nil {
		d.log.Error("listing projects", "err", err)
		return
	}
	for _, p := range ps {
		ids[p.ID] = true
	}
	states, err := d.rt.List(ctx)
	if err != nil {
		d.log.Error("listing containers", "err", err)
	}
	for id := range states {
		ids[id] = true
	}
	var wg sync.WaitGroup
	for id := range ids {
		wg.Add(1)
		if !d.spawn(func(ctx context.Context) {
			defer wg.Done()
			d.converge(ctx, id, t)
		}) {
			wg.Done()
		}
	}
	wg.Wait()
}

// fullPasses checks every project on a slow timer, for changes no event
// reported.
func (d *Daemon) fullPasses(ctx context.Context) {
	for wait.Sleep(ctx, fullPassInterval) == nil {
		d.convergeAll(ctx, trigger{})
	}
}
