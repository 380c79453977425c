package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
)

// gitReadOnly are the parts of a repository's .git that make the user's own
// git run something (core.fsmonitor, core.hooksPath, aliases, hooks,
// attributes' filters); they are bound read-only into the agent. Objects,
// refs, the index and logs stay writable, so the agent can commit, branch
// and fetch.
// commondir would send git to another folder's config and hooks; a missing
// one is made holding ".", which names the repository itself.
var gitReadOnly = []struct {
	name    string
	dir     bool
	content string // what a missing file is made with; "" leaves it missing
}{
	{"config", false, ""},
	{"commondir", false, ".\n"},
	{"hooks", true, ""},
	{"info", true, ""},
}

// MountDir is the project's folder on the host holding the id-mapped views
// of its workspace and config folders that the agent container binds. Only
// root can enter it.
func (r *Runtime) MountDir(projectID string) string {
	return filepath.Join(r.cfg.MountRoot, projectID)
}

func (r *Runtime) workspaceView(projectID string) string {
	return filepath.Join(r.MountDir(projectID), "workspace")
}

func (r *Runtime) homeView(projectID string) string {
	return filepath.Join(r.MountDir(projectID), "home")
}

// Owner returns who owns the workspace folder path.
func Owner(path string) (uid, gid uint32, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("workspace %q: %w", path, err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, fmt.Errorf("workspace %q: cannot read its owner", path)
	}
	return st.Uid, st.Gid, nil
}

// workspaceOwner returns who owns the workspace on the host, refusing root:
// the agent's files become the owner's, and must never be root's.
func workspaceOwner(path string) (uid, gid uint32, err error) {
	uid, gid, err = Owner(path)
	if err != nil {
		return 0, 0, err
	}
	if uid == 0 || gid == 0 {
		return 0, 0, fmt.Errorf("workspace %q is owned by %d:%d, and a folder of user or group root (0) is refused: the agent's files take the workspace's owner, so they would be root's on the host — give the folder to the user who works in it (chown you:you %s)",
			path, uid, gid, path)
	}
	return uid, gid, nil
}

// prepareMounts makes the id-mapped views of the workspace and the config
// folders, and returns the agent's binds: the workspace, the config folders
// and, when the workspace holds a repository and the project does not opt
// out, the read-only parts of .git.
func (r *Runtime) prepareMounts(ctx context.Context, a *preparedAgent, img image.InspectResponse, configFolders []string) error {
	ws, err := filepath.EvalSymlinks(a.workspace)
	if err != nil {
		return fmt.Errorf("workspace %q: %w", a.p.Workspace, err)
	}
	hostUID, hostGID, err := workspaceOwner(ws)
	if err != nil {
		return err
	}
	ids, err := r.imageUser(ctx, img)
	if err != nil {
		return err
	}
	m := idMap{ContainerUID: ids.UID, ContainerGID: ids.GID, HostUID: hostUID, HostGID: hostGID}
	a.ids = m
	if err := os.MkdirAll(r.cfg.MountRoot, 0o700); err != nil {
		return fmt.Errorf("creating mount folder %s: %w", r.cfg.MountRoot, err)
	}
	view := r.workspaceView(a.p.ID)
	if err := ensureMountPoint(view); err != nil {
		return err
	}
	if err := r.mounter.Mount(ws, view, m); err != nil {
		return fmt.Errorf("mounting workspace %q for the agent: %w", a.p.Workspace, err)
	}
	a.mounts = []mount.Mount{{Type: mount.TypeBind, Source: view, Target: agentWorkdir}}
	if !a.p.GitConfigWritable {
		git, err := gitBinds(ws, view, hostUID, hostGID)
		if err != nil {
			return err
		}
		a.mounts = append(a.mounts, git...)
	}
	folders, err := r.configMounts(a.p.ID, configFolders, hostUID, hostGID)
	if err != nil {
		return err
	}
	if len(folders) > 0 {
		home := r.homeView(a.p.ID)
		if err := ensureMountPoint(home); err != nil {
			return err
		}
		if err := r.mounter.Mount(r.HomeDir(a.p.ID), home, m); err != nil {
			return fmt.Errorf("mounting the config folders of project %s: %w", a.p.ID, err)
		}
		for _, f := range folders {
			a.mounts = append(a.mounts, mount.Mount{Type: mount.TypeBind, Source: filepath.Join(home, filepath.FromSlash(f)), Target: f})
		}
	}
	return nil
}

// GitMount is one part of a repository's .git that the agent gets as a
// mount of its own: Rel is its path in the workspace (".git",
// ".git/config", ...). Every one is a mount point in the agent's
// container, which its root can neither rename nor remove.
type GitMount struct {
	Rel      string
	ReadOnly bool
}

// GitMounts returns the mounts that keep a repository's configuration and
// hooks out of the agent's reach: .git itself, bound onto itself so the
// agent cannot rename it away and put its own in its place, and its
// gitReadOnly parts read-only. A missing hooks or info folder or commondir
// file is created (owned by uid:gid, the workspace's owner), since one the
// agent created would be the agent's. No repository, no mounts. Both
// backends use it: Docker binds the parts of its id-mapped view, Kubernetes
// mounts them as subpaths of the workspace volume.
func GitMounts(ws string, uid, gid uint32) ([]GitMount, error) {
	gitDir := filepath.Join(ws, ".git")
	info, err := os.Lstat(gitDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil // no repository
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", gitDir, err)
	case info.Mode().IsRegular():
		// A worktree's or submodule's .git file names the repository's
		// folder ("gitdir: ..."); pointed elsewhere, it would bring another
		// config and hooks.
		return []GitMount{{Rel: ".git", ReadOnly: true}}, nil
	case !info.IsDir():
		return nil, fmt.Errorf("%s is neither a folder nor a file (a symbolic link?); Warden binds it into the agent and never follows links there — replace it, or let the project's agent write its git configuration (gitConfigWritable)", gitDir)
	}
	out := []GitMount{{Rel: ".git"}}
	for _, part := range gitReadOnly {
		p := filepath.Join(gitDir, part.name)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) && (part.dir || part.content != "") {
			if err := createOwned(p, part.dir, part.content, uid, gid); err != nil {
				return nil, err
			}
			info, err = os.Lstat(p)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // a repository without a config file: git itself refuses it
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if info.IsDir() != part.dir || !(info.Mode().IsRegular() || info.IsDir()) {
			return nil, fmt.Errorf("%s is not a plain %s (a symbolic link?); Warden binds it read-only into the agent and never follows links there — replace it with a plain %s, or let the project's agent write its git configuration (gitConfigWritable)",
				p, kind(part.dir), kind(part.dir))
		}
		out = append(out, GitMount{Rel: ".git/" + part.name, ReadOnly: true})
	}
	return out, nil
}

// gitBinds is GitMounts as binds of the workspace's view.
func gitBinds(ws, view string, uid, gid uint32) ([]mount.Mount, error) {
	parts, err := GitMounts(ws, uid, gid)
	if err != nil {
		return nil, err
	}
	out := make([]mount.Mount, 0, len(parts))
	for _, g := range parts {
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: filepath.Join(view, filepath.FromSlash(g.Rel)),
			Target: agentWorkdir + "/" + g.Rel, ReadOnly: g.ReadOnly})
	}
	return out, nil
}

// createOwned makes a folder, or a file holding content, that belongs to
// uid:gid; it fails rather than follow or replace anything already there.
func createOwned(path string, dir bool, content string, uid, gid uint32) error {
	if dir {
		if err := os.Mkdir(path, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
	} else {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("creating %s: %w", path, err)
		}
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := os.Lchown(path, int(uid), int(gid)); err != nil {
		return fmt.Errorf("giving %s to the workspace's owner: %w", path, err)
	}
	return nil
}

func kind(dir bool) string {
	if dir {
		return "folder"
	}
	return "file"
}

// unmountViews takes the project's views away from the host once the agent
// container has its binds: a view left mounted would put the workspace
// inside the daemon's data folder, where a recursive removal of that
// folder would reach it.
func (r *Runtime) unmountViews(projectID string) {
	for _, dst := range []string{r.workspaceView(projectID), r.homeView(projectID)} {
		if err := r.mounter.Unmount(dst); err != nil {
			r.log.Error("unmounting a view", "project", projectID, "view", dst, "err", err)
		}
	}
}

// removeMounts undoes prepareMounts. It only unmounts and removes empty
// mount points: never a recursive removal, which would reach into a
// workspace still mounted there.
func (r *Runtime) removeMounts(projectID string) error {
	var errs []error
	for _, dst := range []string{r.workspaceView(projectID), r.homeView(projectID)} {
		if err := r.mounter.Unmount(dst); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing mount point %s: %w", dst, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.Remove(r.MountDir(projectID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing mount folder %s: %w", r.MountDir(projectID), err)
	}
	return nil
}
