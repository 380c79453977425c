package kube

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
)

// hostileWorkspace is what a hostile agent with sudo tries in its
// workspace to leave something privileged on the node (the Docker suite's
// hostileRoot). Every step may fail; what counts is what the node finds.
const hostileWorkspace = `cd /workspace
cp /bin/bash .suid && chmod 4755 .suid
mknod -m 666 .disk b 8 0
cp /bin/bash .cap && setcap cap_setuid+ep .cap
touch .mine && chown 0:0 .mine
cp /bin/bash .sgid && chown 1000:0 .sgid && chmod 2755 .sgid
true`

// TestKubeAgentRules is the agent's root against the node, through its
// hostPath workspace and the kernel. First with the defences off: a pod of
// the same image with the runtime's defaults leaves a setuid-root shell and
// a device node in the workspace, its user becomes root through that shell,
// and it runs without a seccomp profile (unshare makes it a user namespace).
// Then the project's pod: sudo raises nothing, nothing the agent leaves is
// root's, a setuid-root file put in its workspace runs as the agent's user,
// and the runtime's seccomp profile is in force.
func TestKubeAgentRules(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	suidOnNode := filepath.Join(p.Workspace, ".suid")

	t.Run("with the defences off", func(t *testing.T) {
		loose := e.loosePod(t, p.Workspace)
		e.execPod(t, loose, "agent", "sudo", "-n", "sh", "-c", hostileWorkspace)
		found := strings.Join(privilegedLeftovers(t, p.Workspace), "\n")
		for _, want := range []string{".suid: setuid root", ".disk: device node", ".mine: owned by root", ".sgid: setgid root"} {
			require.Contains(t, found, want)
		}
		require.Equal(t, "0", e.execPod(t, loose, "agent", "/workspace/.suid", "-p", "-c", "id -u"),
			"the agent's user becomes root through the setuid shell")
		require.Equal(t, "0", e.execPod(t, loose, "agent", "sh", "-c", "grep ^Seccomp: /proc/self/status | cut -f2"))
		require.Equal(t, "ok", e.execPod(t, loose, "agent", "sh", "-c", "unshare --user --map-root-user true && echo ok"))
	})
	// What the loose pod left stays: a setuid-root shell that someone put in
	// the workspace. Everything else goes.
	entries, err := os.ReadDir(p.Workspace)
	require.NoError(t, err)
	for _, en := range entries {
		if en.Name() != ".suid" {
			require.NoError(t, os.RemoveAll(filepath.Join(p.Workspace, en.Name())))
		}
	}
	info, err := os.Stat(suidOnNode)
	require.NoError(t, err)
	require.NotZero(t, info.Mode()&os.ModeSetuid)

	t.Run("with the project's rules", func(t *testing.T) {
		e.start(t, p)
		out, ok := e.execSh(t, p.ID, "agent", "sudo -n id -u")
		require.False(t, ok, "sudo raised the agent: %s", out)
		require.Contains(t, out, "no new privileges")
		require.Equal(t, "1000", e.exec(t, p.ID, "agent", "/workspace/.suid", "-p", "-c", "id -u"),
			"a setuid-root file in the workspace runs as the agent's user")

		out, _ = e.execSh(t, p.ID, "agent", "sudo -n sh -c '"+hostileWorkspace+"'; "+hostileWorkspace)
		found := privilegedLeftovers(t, p.Workspace)
		require.Equal(t, []string{".suid: setuid root"}, found, "the agent left something privileged (it said: %s)", out)
		info, err := os.Lstat(filepath.Join(p.Workspace, ".mine"))
		require.NoError(t, err, "the agent's user writes in the workspace")
		require.Equal(t, uint32(1000), info.Sys().(*syscall.Stat_t).Uid)

		require.Equal(t, "2", e.exec(t, p.ID, "agent", "sh", "-c", "grep ^Seccomp: /proc/self/status | cut -f2"), "seccomp filter mode")
		out, ok = e.execSh(t, p.ID, "agent", "unshare --user --map-root-user true")
		require.False(t, ok, "the agent made a user namespace: %s", out)
		out, ok = e.execSh(t, p.ID, "agent", "grep ^NoNewPrivs: /proc/self/status | cut -f2")
		require.True(t, ok, out)
		require.Equal(t, "1", out)
	})
}

// privilegedLeftovers walks dir as the node sees it and names every file
// that grants more than the agent's user has.
func privilegedLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == dir {
			return nil
		}
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, path)
		mode := info.Mode()
		switch {
		case mode&os.ModeDevice != 0:
			found = append(found, rel+": device node")
		case st.Uid == 0 && mode&os.ModeSetuid != 0:
			found = append(found, rel+": setuid root")
		case st.Uid == 0:
			found = append(found, fmt.Sprintf("%s: owned by root (mode %v)", rel, mode))
		case st.Gid == 0 && mode&os.ModeSetgid != 0:
			found = append(found, rel+": setgid root")
		case st.Gid == 0:
			found = append(found, rel+": group root")
		}
		if _, err := unix.Lgetxattr(path, "security.capability", nil); err == nil {
			found = append(found, rel+": file capabilities")
		}
		return nil
	})
	require.NoError(t, err)
	return found
}
