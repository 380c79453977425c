// Package attack holds what a hostile agent runs, for the suites of every
// backend to run the same.
package attack

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Git is what a hostile agent tries in its workspace so that the user's
// own git, run there on the host, runs its code: a marker file in the
// workspace (Pwned) shows that it did. It moves .git away and makes its
// own, points commondir elsewhere, sets core.fsmonitor and core.hooksPath,
// plants hooks and an attributes filter; with sudo where the agent has it.
// Every step may fail; the script ends well regardless.
const Git = `
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

// AgentCommits is what an agent does with a repository it may use: commit.
const AgentCommits = `cd /workspace && echo a > a && git add a && git -c user.email=a@example.com -c user.name=agent commit -qm agent && git log --format=%s`

// HostGit runs git as the workspace's owner (uid and gid 1000) on the host,
// as the user would, and returns its output.
func HostGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Me", "GIT_AUTHOR_EMAIL=me@example.com", "GIT_COMMITTER_NAME=Me", "GIT_COMMITTER_EMAIL=me@example.com")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// UserCommits is the user's own work in the workspace after the agent's:
// status, add and commit of a new file, on the host.
func UserCommits(t testing.TB, ws string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(ws, "b"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(ws, "b"), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	HostGit(t, ws, "status")
	HostGit(t, ws, "add", "b")
	HostGit(t, ws, "commit", "-qm", "mine")
}

// Pwned lists the markers that show the host ran the agent's code.
func Pwned(ws string) []string {
	var out []string
	for _, f := range []string{".pwned-fsmonitor", ".pwned-hook"} {
		if _, err := os.Stat(filepath.Join(ws, f)); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// GitHeld checks a workspace after Git, AgentCommits and UserCommits ran
// with the protection on: nothing of the agent's ran on the host, both
// commits are there, the config holds no fsmonitor nor hooksPath, and .git
// was not moved away.
func GitHeld(t testing.TB, ws string) {
	t.Helper()
	if p := Pwned(ws); len(p) > 0 {
		t.Errorf("the host ran the agent's code: %v", p)
	}
	if log := HostGit(t, ws, "log", "--format=%s"); log != "mine\nagent\n" {
		t.Errorf("git log %q; want both commits, mine and the agent's", log)
	}
	cfg, err := os.ReadFile(filepath.Join(ws, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), "fsmonitor") {
		t.Errorf("the agent set core.fsmonitor:\n%s", cfg)
	}
	if _, err := os.Stat(filepath.Join(ws, ".git-moved")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".git was moved away (.git-moved: %v)", err)
	}
	if strings.Contains(HostGit(t, ws, "config", "--list", "--local"), "hookspath") {
		t.Error("the agent set core.hooksPath")
	}
}
