package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/store"
)

// Create validates spec, fills the allowlist from the presets when spec
// names none, and stores the new project, stopped. A refused spec returns
// the *project.FieldError; a name already in use returns ErrConflict.
func (d *Daemon) Create(ctx context.Context, spec project.Spec) (project.Project, error) {
	d.names.Lock()
	defer d.names.Unlock()
	for range 3 { // a fresh random id clashes about never; retry anyway
		p, err := spec.Build(d.newID(), d.now(), d.agents)
		if err != nil {
			return project.Project{}, err
		}
		if err := d.nameFree(p.Name, ""); err != nil {
			return project.Project{}, err
		}
		if err := d.checkWorkspace(ctx, p); err != nil {
			return project.Project{}, err
		}
		err = d.store.Create(p)
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return project.Project{}, fmt.Errorf("storing project %q: %w", p.Name, err)
		}
		d.log.Info("project created", "project", p.ID, "name", p.Name, "mode", p.Mode, "domains", len(p.Domains))
		d.ensureWardenWatch(p)
		return p, nil
	}
	return project.Project{}, fmt.Errorf("%w: could not find a free project id", ErrConflict)
}

// List returns every project, oldest first.
func (d *Daemon) List(ctx context.Context) ([]project.Project, error) {
	ps, err := d.store.List()
	if err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	return ps, nil
}

// Get returns the project whose id or name is ref.
func (d *Daemon) Get(ctx context.Context, ref string) (project.Project, error) {
	return d.resolve(ref)
}

// resolve finds a project by id first, then by name.
func (d *Daemon) resolve(ref string) (project.Project, error) {
	if project.ValidID(ref) {
		p, err := d.store.Get(ref)
		if err == nil {
			return p, nil
		}
		if !isStoreNotFound(err) {
			return project.Project{}, fmt.Errorf("reading project %s: %w", ref, err)
		}
	}
	ps, err := d.store.List()
	if err != nil {
		return project.Project{}, fmt.Errorf("listing projects: %w", err)
	}
	var found []project.Project
	for _, p := range ps {
		if p.Name == ref {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return project.Project{}, notFound(ref)
	case 1:
		return found[0], nil
	}
	return project.Project{}, fmt.Errorf("%w: %d projects are named %q; use the id (`warden project ls` lists them)",
		ErrConflict, len(found), ref)
}

// nameFree reports ErrConflict when another project than except has name.
// The caller holds d.names.
func (d *Daemon) nameFree(name, except string) error {
	ps, err := d.store.List()
	if err != nil {
		return fmt.Errorf("listing projects: %w", err)
	}
	for _, p := range ps {
		if p.Name == name && p.ID != except {
			return fmt.Errorf("%w: the name %q is already used by project %s; choose another name", ErrConflict, name, p.ID)
		}
	}
	return nil
}

// Update validates and stores patch, then, when the project is meant to be
// running and its policy changed (or an earlier change is still pending),
// pushes the policy to the sidecar and waits for its answer. A refused
// patch changes nothing and returns the *project.FieldError.
func (d *Daemon) Update(ctx context.Context, ref string, patch project.Patch) (project.Project, PushResult, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return project.Project{}, PushResult{}, err
	}
	before, updated, err := d.storePatch(p.ID, patch)
	if err != nil {
		if isStoreNotFound(err) {
			return project.Project{}, PushResult{}, notFound(ref)
		}
		var fe *project.FieldError
		if errors.As(err, &fe) || errors.Is(err, ErrConflict) {
			return project.Project{}, PushResult{}, err
		}
		return project.Project{}, PushResult{}, fmt.Errorf("updating project %s: %w", p.ID, err)
	}
	changed := updated.PolicyGen != before.PolicyGen
	if changed {
		d.log.Info("policy stored", "project", p.ID, "mode", updated.Mode,
			"domains", len(updated.Domains), "gen", updated.PolicyGen)
	}
	if updated.Desired != project.DesiredRunning || (!changed && !updated.Pending()) {
		return updated, PushResult{}, nil
	}
	res, latest := d.pushCutting(ctx, p.ID, patch.CutConnections)
	if latest.ID != "" {
		updated = latest
	}
	return updated, res, nil
}

// storePatch applies patch to the stored project in one transaction and
// returns the project before and after. A rename holds the name lock only
// for as long as the write takes.
func (d *Daemon) storePatch(id string, patch project.Patch) (before, after project.Project, err error) {
	if patch.Name != nil {
		d.names.Lock()
		defer d.names.Unlock()
		if err := d.nameFree(*patch.Name, id); err != nil {
			return before, after, err
		}
	}
	after, err = d.store.Update(id, func(cur project.Project) (project.Project, error) {
		before = cur
		return cur.Apply(patch, d.now())
	})
	return before, after, err
}

// Delete stops the project, removes its containers and files, and then the
// project and its event history. When the containers cannot be removed the
// project stays (stopped) so the call can be repeated.
func (d *Daemon) Delete(ctx context.Context, ref string) error {
	p, err := d.resolve(ref)
	if err != nil {
		return err
	}
	ctx, cancel := d.lifecycleContext(ctx)
	defer cancel()
	unlock := d.lifecycle.Lock(p.ID)
	defer unlock()

	if _, err := d.setDesired(p.ID, project.DesiredStopped); err != nil {
		if isStoreNotFound(err) {
			return notFound(ref)
		}
		return err
	}
	d.stopFollower(p.ID)
	if err := d.rt.Remove(ctx, p.ID); err != nil {
		return fmt.Errorf("removing containers of project %s: %w", p.ID, err)
	}
	d.stopWardenWatch(p.ID)
	if err := d.store.Delete(p.ID); err != nil && !isStoreNotFound(err) {
		return fmt.Errorf("deleting project %s: %w", p.ID, err)
	}
	d.hub.close(p.ID)
	d.forget(p.ID)
	d.log.Info("project deleted", "project", p.ID, "name", p.Name)
	return nil
}

// setDesired records whether the project's containers should run.
func (d *Daemon) setDesired(id, desired string) (project.Project, error) {
	p, err := d.store.Update(id, func(cur project.Project) (project.Project, error) {
		if cur.Desired != desired {
			cur.Desired = desired
			cur.UpdatedAt = d.now().UTC()
		}
		return cur, nil
	})
	if err != nil && !isStoreNotFound(err) {
		return p, fmt.Errorf("recording project %s as %s: %w", id, desired, err)
	}
	return p, err
}

// forget drops what the daemon keeps in memory about a deleted project.
func (d *Daemon) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.wardens, id)
	delete(d.starts, id)
	d.forgetPreview(id)
	d.forgetSessions(id)
}
