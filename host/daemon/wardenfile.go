package daemon

import (
	"context"
	"slices"

	"github.com/warden-sh/warden/host/project"
)

// wardenPorts is what a project's .warden.json last said.
type wardenPorts struct {
	ports []int
	err   string
}

// ensureWardenWatch starts watching the project's .warden.json, unless that
// is already happening. The file is the agent's to write: what it says only
// ever reaches the status' port list.
func (d *Daemon) ensureWardenWatch(p project.Project) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.watchers[p.ID]; ok {
		return
	}
	if _, claim := project.Claim(p.Workspace); claim {
		return // its files are on the cluster, out of the daemon's sight
	}
	id, workspace := p.ID, p.Workspace
	d.watchers[id] = d.spawnBackground(func(ctx context.Context) {
		err := d.watchWarden(ctx, workspace, func(ports []int, err error) { d.setWardenPorts(id, ports, err) })
		if err != nil && ctx.Err() == nil {
			d.log.Warn("watching .warden.json", "project", id, "err", err)
			d.setWardenPorts(id, nil, err)
		}
	})
}

func (d *Daemon) stopWardenWatch(id string) {
	d.mu.Lock()
	b := d.watchers[id]
	delete(d.watchers, id)
	d.mu.Unlock()
	if b != nil {
		b.stop()
	}
}

// setWardenPorts records the file's ports; an invalid file keeps the
// previous list and shows the error.
func (d *Daemon) setWardenPorts(id string, ports []int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.watchers[id]; !ok {
		return // the project is gone
	}
	prev := d.wardens[id]
	next := wardenPorts{ports: slices.Clone(ports)}
	if err != nil {
		next.err = err.Error()
		if ports == nil {
			next.ports = prev.ports
		}
	}
	d.wardens[id] = next
	d.previews.projects.Add(1)
	if next.err != prev.err || !slices.Equal(next.ports, prev.ports) {
		d.log.Info(".warden.json read", "project", id, "ports", next.ports, "err", next.err)
	}
}

func (d *Daemon) wardenFile(id string) wardenPorts {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.wardens[id]
	w.ports = slices.Clone(w.ports)
	return w
}

// mergePorts joins two port lists, sorted without repeats.
func mergePorts(a, b []int) []int {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []int{}
	}
	return out
}
