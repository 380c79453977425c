package runtime

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// touchAs creates path as uid:gid through the kernel and returns touch's
// output.
func touchAs(t *testing.T, uid, gid uint32, path string) (string, error) {
	t.Helper()
	cmd := exec.Command("touch", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPrivilegedIDMappedMount(t *testing.T) {
	require.Zero(t, os.Geteuid(), "TestPrivileged tests run as root: they make mounts")
	src := ownedDir(t)
	// Other users must get to the view: the test's own folders are 0700.
	parent := shortTempDir(t)
	require.NoError(t, os.Chmod(parent, 0o755))
	dst := filepath.Join(parent, "view")
	require.NoError(t, ensureMountPoint(dst))
	m := kernelMounter{}
	require.NoError(t, m.Mount(src, dst, idMap{ContainerUID: 2000, ContainerGID: 2001, HostUID: 1000, HostGID: 1000}))
	t.Cleanup(func() { require.NoError(t, m.Unmount(dst)) })

	out, err := touchAs(t, 2000, 2001, filepath.Join(dst, "mine"))
	require.NoError(t, err, out)
	st := statOf(t, mustStat(t, filepath.Join(src, "mine")))
	require.Equal(t, [2]uint32{1000, 1000}, [2]uint32{st.Uid, st.Gid}, "the container's user writes as the folder's owner")
	require.Equal(t, [2]uint32{2000, 2001}, func() [2]uint32 {
		st := statOf(t, mustStat(t, filepath.Join(dst, "mine")))
		return [2]uint32{st.Uid, st.Gid}
	}(), "and sees its files as its own")

	for _, who := range []struct {
		name     string
		uid, gid uint32
	}{{"root", 0, 0}, {"another user", 3000, 2001}, {"the user in group root", 2000, 0}} {
		out, err := touchAs(t, who.uid, who.gid, filepath.Join(dst, "x"))
		require.Error(t, err, who.name)
		require.Contains(t, out, "Value too large for defined data type", who.name)
	}
	require.Error(t, os.Chown(filepath.Join(dst, "mine"), 0, 0), "nothing can be given to root")

	require.NoError(t, m.Mount(src, dst, idMap{ContainerUID: 2000, ContainerGID: 2001, HostUID: 1000, HostGID: 1000}), "mounting again replaces the view")
	require.NoError(t, m.Unmount(dst))
	_, err = os.Stat(filepath.Join(dst, "mine"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing left mounted")
	require.NoError(t, m.Unmount(dst), "unmounting what is not mounted is not an error")
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	info, err := os.Lstat(path)
	require.NoError(t, err)
	return info
}
