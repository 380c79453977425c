package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/stretchr/testify/require"
)

func TestStartMountsTheWorkspaceMappedToItsOwner(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	require.NoError(t, os.Chown(p.Workspace, 1001, 1002))
	require.NoError(t, r.Start(context.Background(), p))

	view, ok := f.mounts.get(r.workspaceView(testID))
	require.True(t, ok)
	require.Equal(t, p.Workspace, view.src)
	// The test image has no USER: its root becomes the workspace's owner.
	require.Equal(t, idMap{ContainerUID: 0, ContainerGID: 0, HostUID: 1001, HostGID: 1002}, view.ids)
	c, _ := f.container(agentC)
	require.Equal(t, mount.Mount{Type: mount.TypeBind, Source: r.workspaceView(testID), Target: "/workspace"}, c.host.Mounts[0])
	require.False(t, f.mounts.isMounted(r.workspaceView(testID)), "the view is gone from the host once the agent has its binds")
	require.False(t, f.mounts.isMounted(r.homeView(testID)))

	require.NoError(t, r.Remove(context.Background(), testID))
	_, err := os.Stat(r.MountDir(testID))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(p.Workspace)
	require.NoError(t, err, "the workspace itself stays")
}

func TestStartRefusesARootOwnedWorkspace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		uid, gid int
	}{{"user root", 0, 1000}, {"group root", 1000, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t)
			r := newFakeRuntime(t, f)
			p := testProject(t)
			require.NoError(t, os.Chown(p.Workspace, tc.uid, tc.gid))
			err := r.Start(context.Background(), p)
			require.ErrorContains(t, err, "a folder of user or group root (0) is refused")
			require.ErrorContains(t, err, "chown you:you "+p.Workspace)
			require.Empty(t, f.Calls(), "nothing started")
		})
	}
}

func TestStartBindsGitConfigurationReadOnly(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	git := filepath.Join(p.Workspace, ".git")
	require.NoError(t, os.MkdirAll(filepath.Join(git, "hooks"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(git, "config"), []byte("[core]\n"), 0o644))
	require.NoError(t, r.Start(context.Background(), p))

	view := r.workspaceView(testID)
	c, _ := f.container(agentC)
	require.Equal(t, []mount.Mount{
		{Type: mount.TypeBind, Source: view, Target: "/workspace"},
		{Type: mount.TypeBind, Source: view + "/.git", Target: "/workspace/.git"},
		{Type: mount.TypeBind, Source: view + "/.git/config", Target: "/workspace/.git/config", ReadOnly: true},
		{Type: mount.TypeBind, Source: view + "/.git/commondir", Target: "/workspace/.git/commondir", ReadOnly: true},
		{Type: mount.TypeBind, Source: view + "/.git/hooks", Target: "/workspace/.git/hooks", ReadOnly: true},
		{Type: mount.TypeBind, Source: view + "/.git/info", Target: "/workspace/.git/info", ReadOnly: true},
	}, c.host.Mounts[:6])
	common, err := os.ReadFile(filepath.Join(git, "commondir"))
	require.NoError(t, err)
	require.Equal(t, ".\n", string(common), "the repository names itself as its common folder")
	info, err := os.Stat(filepath.Join(git, "info"))
	require.NoError(t, err, "a missing info folder is made, so the agent cannot make its own")
	require.Equal(t, uint32(1000), statOf(t, info).Uid, "and it is the workspace owner's")

	t.Run("opted out", func(t *testing.T) {
		p.GitConfigWritable = true
		require.NoError(t, r.Start(context.Background(), p))
		c, _ := f.container(agentC)
		for _, m := range c.host.Mounts {
			require.NotContains(t, m.Target, ".git")
		}
	})
	t.Run("a link is refused", func(t *testing.T) {
		p.GitConfigWritable = false
		require.NoError(t, os.RemoveAll(filepath.Join(git, "hooks")))
		require.NoError(t, os.Symlink("/etc", filepath.Join(git, "hooks")))
		err := r.Start(context.Background(), p)
		require.ErrorContains(t, err, "hooks is not a plain folder (a symbolic link?)")
	})
}

func TestStartBindsAGitFileReadOnly(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	require.NoError(t, os.WriteFile(filepath.Join(p.Workspace, ".git"), []byte("gitdir: /home/me/repo/.git/worktrees/app\n"), 0o644))
	require.NoError(t, r.Start(context.Background(), p))
	view := r.workspaceView(testID)
	c, _ := f.container(agentC)
	require.Equal(t, mount.Mount{Type: mount.TypeBind, Source: view + "/.git", Target: "/workspace/.git", ReadOnly: true}, c.host.Mounts[1],
		"a worktree's .git file cannot be pointed at a folder the agent wrote")
}
