package runtime

import (
	"os"
	"path/filepath"
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
		attack.GitHeld(t, setup(t, newDockerWorld(t), false))
	})
}
