package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/test/attack"
)

func TestDockerAgentCannotPlantGitConfigurationTheHostRuns(t *testing.T) {
	setup := func(t *testing.T, w dockerWorld, writable bool) string {
		p := w.newProject(t)
		p.GitConfigWritable = writable
		require.NoError(t, os.Chmod(filepath.Dir(p.Workspace), 0o755), "the test's own folder is 0700")
		attack.HostGit(t, p.Workspace, "init", "-q")
		w.start(t, p)
		code, out, errOut := w.run(t, p, "", "sh", "-c", attack.Git)
		require.Zero(t, code, "%s %s", out, errOut)
		// The agent can still commit.
		code, out, errOut = w.run(t, p, "", "sh", "-c", attack.AgentCommits)
		require.Zero(t, code, "%s %s", out, errOut)
		require.Contains(t, out, "agent")
		// The user's own git, on the host, as the user.
		attack.UserCommits(t, p.Workspace)
		return p.Workspace
	}

	t.Run("writable git configuration: the host runs the agent's code", func(t *testing.T) {
		ws := setup(t, newDockerWorld(t), true)
		require.NotEmpty(t, attack.Pwned(ws))
	})
	t.Run("protected: nothing the agent wrote runs", func(t *testing.T) {
		ws := setup(t, newDockerWorld(t), false)
		require.Empty(t, attack.Pwned(ws))
		log := attack.HostGit(t, ws, "log", "--format=%s")
		require.Equal(t, "mine\nagent\n", log, "both commits are there")
		cfg, err := os.ReadFile(filepath.Join(ws, ".git", "config"))
		require.NoError(t, err)
		require.NotContains(t, string(cfg), "fsmonitor")
		_, err = os.Stat(filepath.Join(ws, ".git-moved"))
		require.ErrorIs(t, err, os.ErrNotExist, ".git could not be moved away")
		require.False(t, strings.Contains(attack.HostGit(t, ws, "config", "--list", "--local"), "hookspath"))
	})
}
