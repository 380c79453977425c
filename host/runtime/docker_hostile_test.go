package runtime

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// hostileRoot is what a hostile agent with sudo tries in its workspace to
// leave something privileged on the host. Every step may fail; what counts
// is what the host finds afterwards.
const hostileRoot = `
cd /workspace
cp /bin/bash .suid && chmod 4755 .suid
mknod -m 666 .disk b 8 0
cp /bin/bash .cap && setcap cap_setuid+ep .cap
setpriv --reuid 1000 --regid 1000 --clear-groups sh -c 'touch .mine && mkdir -m 777 open && cp /bin/bash .given'
chown 0:0 .mine
chown 0:0 .given && chmod 4755 .given
setcap cap_setuid+ep .mine
cp /bin/bash open/.suid && chmod 4755 open/.suid
setpriv --reuid 1000 --regid 0 --clear-groups sh -c 'cp /bin/bash .sgid && chmod 2755 .sgid'
mkdir -p .git/hooks && printf '#!/bin/sh\nid > /tmp/pwned\n' > .git/hooks/pre-commit && chmod 755 .git/hooks/pre-commit
true
`

// privilegedLeftovers walks dir as the host sees it and names every file
// that grants more than the workspace's owner has.
func privilegedLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
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

// plainBind is the mount Warden made before id-mapped views: the workspace
// as it is, the agent's root being the host's root.
type plainBind struct{}

func (plainBind) Mount(src, dst string, _ idMap) error {
	if err := (kernelMounter{}).Unmount(dst); err != nil {
		return err
	}
	return unix.Mount(src, dst, "", unix.MS_BIND, "")
}

func (plainBind) Unmount(dst string) error { return kernelMounter{}.Unmount(dst) }

func TestDockerHostileRootLeavesNothingPrivileged(t *testing.T) {
	t.Run("without the defence the attack works", func(t *testing.T) {
		w := newDockerWorld(t)
		w.rt.mounter = plainBind{}
		old := agentCapDrop
		agentCapDrop = []string{"NET_ADMIN", "NET_RAW"}
		t.Cleanup(func() { agentCapDrop = old })
		p := w.newProject(t)
		p.GitConfigWritable = true
		w.start(t, p)
		code, out, errOut := w.run(t, p, "0", "sh", "-c", hostileRoot)
		require.Zero(t, code, "%s %s", out, errOut)
		found := strings.Join(privilegedLeftovers(t, p.Workspace), "\n")
		for _, want := range []string{".suid: owned by root", ".disk: device node", ".cap: file capabilities",
			".given: owned by root", "open/.suid: owned by root", ".sgid: setgid root"} {
			require.Contains(t, found, want)
		}
		info, err := os.Stat(filepath.Join(p.Workspace, ".suid"))
		require.NoError(t, err)
		require.NotZero(t, info.Mode()&os.ModeSetuid, "a setuid-root shell on the host")
	})

	t.Run("with id-mapped views nothing is left", func(t *testing.T) {
		w := newDockerWorld(t)
		p := w.newProject(t)
		w.start(t, p)
		mounts, err := os.ReadFile("/proc/self/mountinfo")
		require.NoError(t, err)
		require.NotContains(t, string(mounts), w.rt.MountDir(p.ID), "no view stays mounted on the host")
		code, out, errOut := w.run(t, p, "0", "sh", "-c", hostileRoot)
		require.Zero(t, code, "%s %s", out, errOut)
		require.Empty(t, privilegedLeftovers(t, p.Workspace))
		for _, f := range []string{".suid", ".disk", ".cap", "open/.suid", ".sgid"} {
			_, err := os.Lstat(filepath.Join(p.Workspace, f))
			require.ErrorIs(t, err, os.ErrNotExist, "%s: the agent's root cannot create files here", f)
		}
		// What the agent's user made is the workspace owner's, and that
		// user can take all of it away without root.
		info, err := os.Lstat(filepath.Join(p.Workspace, ".given"))
		require.NoError(t, err)
		require.Equal(t, uint32(1000), info.Sys().(*syscall.Stat_t).Uid)
		require.NoError(t, os.Chmod(filepath.Dir(p.Workspace), 0o755), "the test's own folder is 0700")
		rm := exec.Command("rm", "-rf", "--", p.Workspace+"/.given", p.Workspace+"/.mine", p.Workspace+"/open")
		rm.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
		b, err := rm.CombinedOutput()
		require.NoError(t, err, "%s", b)
		entries, err := os.ReadDir(p.Workspace)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		require.NotContains(t, names, "open")
	})
}

// TestDockerAgentInstallsAPackage: apt and dpkg still work for the agent's
// root, with a package the test builds inside the agent.
func TestDockerAgentInstallsAPackage(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)
	build := `set -e
for n in hello-dpkg hello-apt; do
  d=$(mktemp -d)
  mkdir -p $d/DEBIAN $d/usr/local/bin $d/etc/$n
  printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.com>\nDescription: test package\n' $n > $d/DEBIAN/control
  printf '#!/bin/sh\necho hello from %s\n' $n > $d/usr/local/bin/$n
  chmod 755 $d/usr/local/bin/$n
  echo conf > $d/etc/$n/conf
  printf '#!/bin/sh\nset -e\nchown root:root /etc/%s/conf\nchmod 600 /etc/%s/conf\n' $n $n > $d/DEBIAN/postinst
  chmod 755 $d/DEBIAN/postinst
  dpkg-deb --root-owner-group --build $d /workspace/$n.deb >/dev/null
done
sudo dpkg -i /workspace/hello-dpkg.deb >/dev/null
sudo apt-get install -y -qq /workspace/hello-apt.deb >/dev/null 2>&1
hello-dpkg; hello-apt
stat -c '%U %a' /etc/hello-apt/conf
`
	code, out, errOut := w.run(t, p, "", "bash", "-c", build)
	require.Zero(t, code, "stdout %q stderr %q", out, errOut)
	require.Equal(t, "hello from hello-dpkg\nhello from hello-apt\nroot 600\n", out)
	info, err := os.Stat(filepath.Join(p.Workspace, "hello-apt.deb"))
	require.NoError(t, err)
	require.Equal(t, uint32(1000), info.Sys().(*syscall.Stat_t).Uid, "the package the agent built is the workspace owner's")
}
