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
