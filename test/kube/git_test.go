package kube

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/attack"
)

// The agent cannot plant git configuration that the user's own git, run on
// the node in a folder workspace, would run: .git/config, commondir, hooks
// and info are read-only subpath mounts of the workspace and .git a mount
// point it cannot move, as on Docker. Shown first with a project that lets
// its agent write them (the attack works without sudo: the workspace's
// owner is the agent's uid), then with the protection on; the agent still
// commits, and so does the user.
func TestKubeAgentCannotPlantGitConfigurationTheNodeRuns(t *testing.T) {
	e := newEnv(t)
	run := func(t *testing.T, writable bool) string {
		p := newProject(t, shared.ModeNone)
		p.GitConfigWritable = writable
		require.NoError(t, os.Chmod(filepath.Dir(p.Workspace), 0o755), "the test's own folder is 0700")
		require.NoError(t, os.Chown(p.Workspace, 1000, 1000))
		attack.HostGit(t, p.Workspace, "init", "-q")
		require.NoError(t, os.RemoveAll(filepath.Join(p.Workspace, ".git", "hooks")), "a missing hooks folder is made for the agent")
		e.start(t, p)
		out, ok := e.execSh(t, p.ID, "agent", attack.Git)
		require.True(t, ok, "the attack script: %s", out)
		out, ok = e.execSh(t, p.ID, "agent", attack.AgentCommits)
		require.True(t, ok, "the agent's commit: %s", out)
		require.Contains(t, out, "agent")
		attack.UserCommits(t, p.Workspace)
		return p.Workspace
	}
	t.Run("writable git configuration: the node runs the agent's code", func(t *testing.T) {
		require.NotEmpty(t, attack.Pwned(run(t, true)))
	})
	t.Run("protected: nothing the agent wrote runs", func(t *testing.T) {
		ws := run(t, false)
		attack.GitHeld(t, ws)
		info, err := os.Stat(filepath.Join(ws, ".git", "hooks"))
		require.NoError(t, err)
		require.True(t, info.IsDir())
		entries, err := os.ReadDir(filepath.Join(ws, ".git", "hooks"))
		require.NoError(t, err)
		require.Empty(t, entries, "the agent planted hooks")
	})
}
