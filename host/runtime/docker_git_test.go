package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// hostileGit is what a hostile agent tries so that the user's own git, run
// on the host in the workspace, runs its code: a marker file in the
// workspace shows that it did.
const hostileGit = `
cd /workspace
mv .git .git-moved && mkdir .git && cp -r .git-moved/. .git/
mkdir -p /workspace/.common && cp -r .git/. /workspace/.common/ && sudo rm -f .git/commondir
echo ../.common > .git/commondir
git config --file /workspace/.common/config core.fsmonitor 'touch .pwned-fsmonitor; false' 
sudo rm -f .git/config
sudo rm -rf .git/hooks .git/info
mkdir -p .git/hooks .git/info .evil
hook='#!/bin/sh\ntouch .pwned-hook\n'
printf "$hook" > .evil/pre-commit; chmod 755 .evil/pre-commit
printf "$hook" > .git/hooks/pre-commit; chmod 755 .git/hooks/pre-commit
sudo sh -c "printf '$hook' > .git/hooks/post-commit; chmod 755 .git/hooks/post-commit"
echo '* filter=evil' > .git/info/attributes
git config core.hooksPath .evil
git config core.fsmonitor 'touch .pwned-fsmonitor; false'
true
`

// hostGit runs git as the workspace's owner on the host.
func hostGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Me", "GIT_AUTHOR_EMAIL=me@example.com", "GIT_COMMITTER_NAME=Me", "GIT_COMMITTER_EMAIL=me@example.com")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return string(out)
}

func pwned(ws string) []string {
	var out []string
	for _, f := range []string{".pwned-fsmonitor", ".pwned-hook"} {
		if _, err := os.Stat(filepath.Join(ws, f)); err == nil {
			out = append(out, f)
		}
	}
	return out
}

func TestDockerAgentCannotPlantGitConfigurationTheHostRuns(t *testing.T) {
	setup := func(t *testing.T, w dockerWorld, writable bool) string {
		p := w.newProject(t)
		p.GitConfigWritable = writable
		require.NoError(t, os.Chmod(filepath.Dir(p.Workspace), 0o755), "the test's own folder is 0700")
		hostGit(t, p.Workspace, "init", "-q")
		w.start(t, p)
		code, out, errOut := w.run(t, p, "", "sh", "-c", hostileGit)
		require.Zero(t, code, "%s %s", out, errOut)
		// The agent can still commit.
		code, out, errOut = w.run(t, p, "", "sh", "-c",
			`cd /workspace && echo a > a && git add a && git -c user.email=a@example.com -c user.name=agent commit -qm agent && git log --format=%s`)
		require.Zero(t, code, "%s %s", out, errOut)
		require.Contains(t, out, "agent")
		// The user's own git, on the host, as the user.
		require.NoError(t, os.WriteFile(filepath.Join(p.Workspace, "b"), []byte("b\n"), 0o644))
		require.NoError(t, os.Chown(filepath.Join(p.Workspace, "b"), 1000, 1000))
		hostGit(t, p.Workspace, "status")
		hostGit(t, p.Workspace, "add", "b")
		hostGit(t, p.Workspace, "commit", "-qm", "mine")
		return p.Workspace
	}

	t.Run("writable git configuration: the host runs the agent's code", func(t *testing.T) {
		ws := setup(t, newDockerWorld(t), true)
		require.NotEmpty(t, pwned(ws))
	})
	t.Run("protected: nothing the agent wrote runs", func(t *testing.T) {
		ws := setup(t, newDockerWorld(t), false)
		require.Empty(t, pwned(ws))
		log := hostGit(t, ws, "log", "--format=%s")
		require.Equal(t, "mine\nagent\n", log, "both commits are there")
		cfg, err := os.ReadFile(filepath.Join(ws, ".git", "config"))
		require.NoError(t, err)
		require.NotContains(t, string(cfg), "fsmonitor")
		_, err = os.Stat(filepath.Join(ws, ".git-moved"))
		require.ErrorIs(t, err, os.ErrNotExist, ".git could not be moved away")
		require.False(t, strings.Contains(hostGit(t, ws, "config", "--list", "--local"), "hookspath"))
	})
}
