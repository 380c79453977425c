package daemon

import (
	"context"
	"fmt"

	"github.com/warden-sh/warden/host/project"
)

// checkWorkspace refuses a new project's workspace when it is, holds or
// lies in the daemon's data folder or the engine's state folder, or lies
// inside or around another project's workspace: an agent that can write a
// folder on the way to another project's workspace could swap it for a
// symbolic link to a host folder, which that project's next start would
// mount. An engine that does not answer now leaves its folder to the
// check at every start.
func (d *Daemon) checkWorkspace(ctx context.Context, p project.Project) error {
	if claim, ok := project.Claim(p.Workspace); ok {
		return d.checkClaim(p, claim)
	}
	guarded := []string{d.cfg.DataDir}
	if root, err := d.rt.EngineRoot(ctx); err == nil {
		guarded = append(guarded, root)
	}
	if err := project.CheckWorkspacePlace(p.Workspace, p.WorkspaceResolved, guarded...); err != nil {
		return err
	}
	ps, err := d.store.List()
	if err != nil {
		return fmt.Errorf("listing projects: %w", err)
	}
	for _, q := range ps {
		if _, ok := project.Claim(q.Workspace); ok {
			continue
		}
		other := q.WorkspaceResolved
		if other == "" {
			other = q.Workspace
		}
		if project.Within(other, p.WorkspaceResolved) || project.Within(p.WorkspaceResolved, other) {
			return &project.FieldError{Field: "workspace", Value: p.Workspace, Message: fmt.Sprintf(
				"%s is inside or around the workspace %s of project %s (%s); an agent must never reach a folder on the way to another project's workspace; choose folders side by side",
				p.WorkspaceResolved, other, q.Name, q.ID)}
		}
	}
	return nil
}

// checkClaim refuses a PersistentVolumeClaim workspace on a backend that
// cannot mount one, and a claim another project mounts already: as with
// folders, one project's agent must not reach another's workspace.
func (d *Daemon) checkClaim(p project.Project, claim string) error {
	if d.cfg.Backend != BackendKubernetes {
		return &project.FieldError{Field: "workspace", Value: p.Workspace, Message: fmt.Sprintf(
			"is a PersistentVolumeClaim (%s), which only the kubernetes backend mounts; expect the absolute path of a folder on this host", claim)}
	}
	ps, err := d.store.List()
	if err != nil {
		return fmt.Errorf("listing projects: %w", err)
	}
	for _, q := range ps {
		if q.Workspace == p.Workspace {
			return &project.FieldError{Field: "workspace", Value: p.Workspace, Message: fmt.Sprintf(
				"is the workspace of project %s (%s) already; an agent must never reach another project's workspace; give each project a claim of its own", q.Name, q.ID)}
		}
	}
	return nil
}
