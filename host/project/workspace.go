package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// systemTrees are folders a workspace may neither be, lie in, nor hold:
// the agent is root in its container, so whatever it can write of these
// runs or grants privilege on the host.
var systemTrees = []string{
	"/etc", "/proc", "/sys", "/dev", "/boot", "/usr", "/bin", "/sbin",
	"/lib", "/lib32", "/lib64", "/libx32", "/run", "/var/run",
	"/var/lib/docker", "/var/lib/containerd", "/run/containerd", "/run/docker",
}

// keyFolders may not be a workspace themselves (and, as parents of the
// trees above or of a home, may not hold one), but a folder inside them
// may: /tmp/build or /home/me/code/app are fine, /home or /home/me are not.
var keyFolders = []string{"/", "/root", "/home", "/var", "/var/lib", "/tmp", "/var/tmp", "/opt", "/srv", "/mnt", "/media"}

// ClaimPrefix starts a workspace that is a PersistentVolumeClaim of the
// project's namespace (pvc:NAME), which the kubernetes backend mounts; the
// daemon never sees its files.
const ClaimPrefix = "pvc:"

// Claim returns the PersistentVolumeClaim a workspace names, if it names
// one.
func Claim(workspace string) (string, bool) {
	return strings.CutPrefix(workspace, ClaimPrefix)
}

// ResolveWorkspace is the folder path names once every symbolic link on
// the way is followed. The daemon stores it at creation and mounts it,
// and a start refuses when the path has come to resolve elsewhere.
func ResolveWorkspace(path string) (string, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fieldError("workspace", path, "cannot be resolved (%v); %s", unwrapPath(err), workspaceAccepted)
	}
	info, err := os.Stat(resolved)
	if err != nil || !info.IsDir() {
		return "", fieldError("workspace", path, "resolves to %s, which is not a folder; %s", resolved, workspaceAccepted)
	}
	return resolved, nil
}

// CheckWorkspacePlace refuses a resolved workspace that is, holds or lies in
// a system folder, that is a key folder or a user's home, or that is,
// holds or lies in one of guarded (the daemon's data folder, the Docker
// engine's state). given is what the user typed, for the message.
func CheckWorkspacePlace(given, resolved string, guarded ...string) error {
	named := given
	if resolved != given {
		named = fmt.Sprintf("%s (resolved %s)", given, resolved)
	}
	for _, tree := range append(guarded, systemTrees...) {
		for _, t := range uniq(tree, resolvedAsFarAsItExists(tree)) {
			switch {
			case Within(t, resolved):
				return fieldError("workspace", given, "%s lies in %s; the agent would write the host's own files there; %s", named, tree, workspaceAccepted)
			case Within(resolved, t):
				return fieldError("workspace", given, "%s holds %s; the agent must never reach it; %s", named, tree, workspaceAccepted)
			}
		}
	}
	for _, k := range append(homes(), keyFolders...) {
		for _, kk := range uniq(k, resolvedAsFarAsItExists(k)) {
			if resolved == kk {
				return fieldError("workspace", given, "%s is %s itself; choose a project folder inside it; %s", named, k, workspaceAccepted)
			}
		}
	}
	return nil
}

// homes are the users' home folders: /root, each folder of /home, and the
// daemon's own $HOME.
func homes() []string {
	out := []string{"/root"}
	if entries, err := os.ReadDir("/home"); err == nil {
		for _, e := range entries {
			out = append(out, filepath.Join("/home", e.Name()))
		}
	}
	if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
		out = append(out, filepath.Clean(h))
	}
	return out
}

// Within reports whether path is dir or lies under it; both are clean
// absolute paths.
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// resolvedAsFarAsItExists follows symlinks as far as the path exists.
func resolvedAsFarAsItExists(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if dir == "/" || dir == "" {
		return filepath.Clean(path)
	}
	return filepath.Join(resolvedAsFarAsItExists(filepath.Clean(dir)), base)
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
