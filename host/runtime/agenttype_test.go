package runtime

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/docker/docker/api/types/mount"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

func TestStartBindsConfigFoldersAndRemoveDeletesThem(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	ctx := context.Background()
	require.NoError(t, r.Start(ctx, p))

	src := filepath.Join(r.HomeDir(testID), "home", "agent", ".claude")
	info, err := os.Stat(src)
	require.NoError(t, err)
	require.True(t, info.IsDir())
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
	require.Equal(t, uint32(1000), info.Sys().(*syscall.Stat_t).Uid, "the workspace's owner's, which the agent sees as its own")
	root, err := os.Stat(r.HomeDir(testID))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), root.Mode().Perm(), "no other host user gets in")

	view, ok := f.mounts.get(r.homeView(testID))
	require.True(t, ok, "the config folders are seen through an id-mapped view")
	require.Equal(t, r.HomeDir(testID), view.src)
	c, _ := f.container(agentC)
	require.Contains(t, c.host.Mounts, mount.Mount{Type: mount.TypeBind, Source: filepath.Join(r.homeView(testID), "home", "agent", ".claude"), Target: "/home/agent/.claude"})
	require.Contains(t, c.config.Env, "CLAUDE_CONFIG_DIR=/home/agent/.claude")
	require.Contains(t, c.config.Env, "A=1", "the project's own env too")

	require.NoError(t, os.WriteFile(filepath.Join(src, ".credentials.json"), []byte("{}"), 0o600))
	require.NoError(t, r.Remove(ctx, testID))
	_, err = os.Stat(r.HomeDir(testID))
	require.ErrorIs(t, err, os.ErrNotExist, "the login goes with the project")
}

func TestStartUsesTheRegistryGiven(t *testing.T) {
	types := agent.NewRegistry()
	_, err := types.Add("warden-agent-aider", agent.Static(agent.Definition{
		Name: "aider", DisplayName: "Aider", Image: "warden-agent-test:latest",
		Command: []string{"aider"}, HealthCheck: []string{"aider", "--version"},
		Env: map[string]string{"AIDER_CHECK_UPDATE": "false"}, ConfigFolders: []string{"/home/agent/.aider"},
	}))
	require.NoError(t, err)
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f, func(c *Config) { c.Agents = types })
	p := testProject(t)
	p.AgentType, p.Image = "aider", ""
	require.NoError(t, r.Start(context.Background(), p))

	c, _ := f.container(agentC)
	require.Equal(t, "warden-agent-test:latest", c.config.Image, "the type's image")
	require.Contains(t, c.config.Env, "AIDER_CHECK_UPDATE=false")
	require.Equal(t, `["aider"]`, c.config.Labels[LabelAgentCommand])
	require.Equal(t, []string{"CMD", "aider", "--version"}, c.config.Healthcheck.Test)
	require.Equal(t, "/home/agent/.aider", c.host.Mounts[1].Target)
}

func TestConfigMountsRefuseALink(t *testing.T) {
	r := newFakeRuntime(t, newFakeDocker(t))
	src := filepath.Join(r.HomeDir(testID), "home", "agent")
	require.NoError(t, os.MkdirAll(src, 0o700))
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(src, ".claude")))
	_, err := r.configMounts(testID, []string{"/home/agent/.claude"}, 1000, 1000)
	require.ErrorContains(t, err, "not a plain folder")
}
