package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// agentWorkspaceSource is the folder the agent container mounts at
// /workspace.
// agentWorkspaceSource is the folder the agent's workspace view shows: the
// source of the id-mapped mount the agent container binds at /workspace.
func agentWorkspaceSource(t *testing.T, f *fakeDocker) string {
	t.Helper()
	f.mu.Lock()
	c, ok := f.containers[agentC]
	var view string
	if ok {
		for _, m := range c.host.Mounts {
			if m.Target == agentWorkdir {
				view = m.Source
			}
		}
	}
	f.mu.Unlock()
	require.True(t, ok, "no agent container")
	require.NotEmpty(t, view, "the agent mounts no workspace")
	m, ok := f.mounts.get(view)
	require.True(t, ok, "no id-mapped view at %s", view)
	return m.src
}

// A folder on the way to a workspace is swapped for a link to a folder of
// the host (here a stand-in for ~/.ssh, which no place rule refuses).
func TestStartRefusesAWorkspaceSwappedForALink(t *testing.T) {
	swap := func(t *testing.T) (workspace, resolved, decoy string) {
		parent := t.TempDir()
		workspace = filepath.Join(parent, "app")
		require.NoError(t, os.Mkdir(workspace, 0o755))
		require.NoError(t, os.Chown(workspace, 1000, 1000))
		resolved, err := filepath.EvalSymlinks(workspace)
		require.NoError(t, err)
		decoy = ownedDir(t)
		require.NoError(t, os.WriteFile(filepath.Join(decoy, "authorized_keys"), []byte("ssh-ed25519 AAAA"), 0o600))
		require.NoError(t, os.Rename(workspace, workspace+".old"))
		require.NoError(t, os.Symlink(decoy, workspace))
		return workspace, resolved, decoy
	}

	t.Run("without the stored resolution the decoy is mounted", func(t *testing.T) {
		f := newFakeDocker(t)
		r := newFakeRuntime(t, f)
		p := testProject(t)
		workspace, _, decoy := swap(t)
		p.Workspace = workspace
		require.NoError(t, r.Start(context.Background(), p))
		src := agentWorkspaceSource(t, f)
		got, err := filepath.EvalSymlinks(src)
		require.NoError(t, err)
		want, _ := filepath.EvalSymlinks(decoy)
		require.Equal(t, want, got, "the agent would get the host's folder")
	})

	t.Run("with it the start is refused, naming both paths", func(t *testing.T) {
		f := newFakeDocker(t)
		r := newFakeRuntime(t, f)
		p := testProject(t)
		workspace, resolved, decoy := swap(t)
		p.Workspace, p.WorkspaceResolved = workspace, resolved
		err := r.Start(context.Background(), p)
		require.ErrorContains(t, err, resolved)
		want, _ := filepath.EvalSymlinks(decoy)
		require.ErrorContains(t, err, want)
		require.ErrorContains(t, err, "was replaced")
		require.Empty(t, f.Calls(), "nothing may be created or started")
	})

	t.Run("an unchanged path starts and mounts the resolved folder", func(t *testing.T) {
		f := newFakeDocker(t)
		r := newFakeRuntime(t, f)
		p := testProject(t)
		real := ownedDir(t)
		link := filepath.Join(t.TempDir(), "app")
		require.NoError(t, os.Symlink(real, link))
		resolved, err := filepath.EvalSymlinks(link)
		require.NoError(t, err)
		p.Workspace, p.WorkspaceResolved = link, resolved
		require.NoError(t, r.Start(context.Background(), p))
		require.Equal(t, resolved, agentWorkspaceSource(t, f), "the mount names no link Docker would follow later")
	})
}

func TestStartRefusesASystemFolder(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	p.Workspace, p.WorkspaceResolved = "/etc", "/etc"
	require.ErrorContains(t, r.Start(context.Background(), p), "lies in /etc")
	require.Empty(t, f.Calls())
}

// An engine whose data-root is moved keeps its state there, and that
// folder is refused like /var/lib/docker.
func TestStartRefusesTheEnginesStateFolder(t *testing.T) {
	f := newFakeDocker(t)
	f.rootDir = t.TempDir()
	r := newFakeRuntime(t, f)
	p := testProject(t)
	ws := filepath.Join(f.rootDir, "volumes", "x")
	require.NoError(t, os.MkdirAll(ws, 0o755))
	p.Workspace, p.WorkspaceResolved = ws, ws
	require.ErrorContains(t, r.Start(context.Background(), p), "lies in "+f.rootDir)
	require.Empty(t, f.Calls())
}
