package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/warden-sh/warden/host/project"
)

// checkWorkspace returns the folder to mount for p's workspace, refusing
// one that would hand the agent what it must never reach: a path that now
// resolves elsewhere than when the project was created (a folder on the way
// was swapped for a symbolic link), a system folder, the control sockets
// (under SocketRoot), other projects' config folders (under HomeRoot) or
// the Docker socket. A home folder holding the daemon's data folder is the
// likely case of the last three.
func (r *Runtime) checkWorkspace(ctx context.Context, p project.Project) (string, error) {
	path := p.Workspace
	if _, ok := project.Claim(path); ok {
		return "", fmt.Errorf("workspace %q is a PersistentVolumeClaim, which only the kubernetes backend mounts; on Docker, create the project with a folder of this host", path)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("workspace %q is not an absolute path; expect an existing folder such as /home/me/code/app", path)
	}
	ws, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("workspace %q: %w; expect an existing folder", path, err)
	}
	if p.WorkspaceResolved != "" && ws != p.WorkspaceResolved {
		return "", fmt.Errorf("workspace %q now resolves to %s, but to %s when the project was created: a folder on the way was replaced, "+
			"perhaps by a symbolic link; nothing is mounted (check the path, then remove and create the project again)", path, ws, p.WorkspaceResolved)
	}
	info, err := os.Stat(ws)
	if err != nil {
		return "", fmt.Errorf("workspace %q: %w; expect an existing folder", path, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("workspace %q is not a folder; expect an existing folder", path)
	}
	sockets := resolved(r.cfg.SocketRoot)
	if within(sockets, ws) || within(ws, sockets) || within(ws, r.cfg.SocketRoot) {
		return "", fmt.Errorf("workspace %q holds Warden's control sockets (%s) or lies inside them; the agent must never see them — choose a folder apart from the daemon's data folder", path, r.cfg.SocketRoot)
	}
	homes := resolved(r.cfg.HomeRoot)
	if within(homes, ws) || within(ws, homes) || within(ws, r.cfg.HomeRoot) {
		return "", fmt.Errorf("workspace %q holds the agents' config folders (%s) or lies inside them; an agent must never see another project's login — choose a folder apart from the daemon's data folder", path, r.cfg.HomeRoot)
	}
	mounts := resolved(r.cfg.MountRoot)
	if within(mounts, ws) || within(ws, mounts) || within(ws, r.cfg.MountRoot) {
		return "", fmt.Errorf("workspace %q holds the agents' mount folders (%s) or lies inside them — choose a folder apart from the daemon's data folder", path, r.cfg.MountRoot)
	}
	for _, sock := range r.dockerSockets {
		if within(ws, sock) || within(ws, resolved(sock)) {
			return "", fmt.Errorf("workspace %q holds the Docker socket %s; the agent must never reach it — choose a project folder", path, sock)
		}
	}
	root, err := r.EngineRoot(ctx)
	if err != nil {
		return "", err
	}
	if err := project.CheckWorkspacePlace(path, ws, root); err != nil {
		return "", err
	}
	return ws, nil
}

// within reports whether path is dir or lies under it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// resolved follows symlinks as far as the path exists.
func resolved(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if dir == "/" || dir == "" {
		return path
	}
	return filepath.Join(resolved(filepath.Clean(dir)), base)
}

// EngineRoot is the Docker engine's state folder (its data-root, which a
// daemon.json may move from /var/lib/docker), asked once.
func (r *Runtime) EngineRoot(ctx context.Context) (string, error) {
	r.mu.Lock()
	root := r.dockerRoot
	r.mu.Unlock()
	if root != "" {
		return root, nil
	}
	info, err := r.docker.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("asking the Docker engine where it keeps its state: %w", err)
	}
	if !filepath.IsAbs(info.DockerRootDir) {
		return "", fmt.Errorf("the Docker engine names %q as its state folder; expect an absolute path", info.DockerRootDir)
	}
	r.mu.Lock()
	r.dockerRoot = filepath.Clean(info.DockerRootDir)
	r.mu.Unlock()
	return filepath.Clean(info.DockerRootDir), nil
}
