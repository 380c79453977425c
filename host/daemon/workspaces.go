package daemon

import (
	"fmt"

	"github.com/warden-sh/warden/host/project"
)

// checkWorkspace refuses a new project's workspace when it is, holds or
// lies in the daemon's data folder, or lies inside or around another
// project's workspace: an agent that can write a folder on the way to
// another project's workspace could swap it for a symbolic link to a host
// folder, which that project's next start would mount.
func (d *Daemon) checkWorkspace(p project.Project) error {
	if err := project.CheckWorkspacePlace(p.Workspace, p.WorkspaceResolved, d.cfg.DataDir); err != nil {
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
