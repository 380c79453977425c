package runtime

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// idMap is the one user and group that a project's agent may own files as
// on the host: the agent image's user (Container…) becomes the workspace's
// owner (Host…) and back. Every other id, root first, is left out of the
// mapping, so a process running as it cannot create a file, chown one to
// itself or make a device node through the mount (EOVERFLOW).
type idMap struct {
	ContainerUID, ContainerGID uint32
	HostUID, HostGID           uint32
}

// String reads "container uid:gid=host uid:gid".
func (m idMap) String() string {
	return fmt.Sprintf("%d:%d=%d:%d", m.ContainerUID, m.ContainerGID, m.HostUID, m.HostGID)
}

// idMounter makes and removes the id-mapped views of host folders that the
// agent container binds.
type idMounter interface {
	// Mount makes dst, an existing empty folder, show src through m,
	// replacing whatever was mounted at dst.
	Mount(src, dst string, m idMap) error
	// Unmount removes every mount at dst; nothing mounted is not an error.
	Unmount(dst string) error
}

// kernelMounter makes id-mapped mounts (Linux 5.12 and later, on
// filesystems that support them: ext4, xfs, btrfs, tmpfs from 6.3). It
// needs CAP_SYS_ADMIN, so the daemon runs as root.
type kernelMounter struct{}

func (kernelMounter) Mount(src, dst string, m idMap) error {
	if err := (kernelMounter{}).Unmount(dst); err != nil {
		return err
	}
	userns, err := userNamespace(m)
	if err != nil {
		return fmt.Errorf("making the id mapping for %s: %w", src, err)
	}
	defer unix.Close(userns)
	tree, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_NO_AUTOMOUNT)
	if err != nil {
		return fmt.Errorf("cloning the mount of %s: %w (id-mapped mounts need Linux 5.12 or later and a daemon running as root)", src, err)
	}
	defer unix.Close(tree)
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV, Userns_fd: uint64(userns)}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		return fmt.Errorf("mapping ids on the mount of %s: %w (the filesystem must support id-mapped mounts: ext4, xfs, btrfs, or tmpfs on Linux 6.3 and later)", src, err)
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mounting %s at %s: %w", src, dst, err)
	}
	return nil
}

func (kernelMounter) Unmount(dst string) error {
	for {
		err := unix.Unmount(dst, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
		switch {
		case err == nil:
			continue // mounts may be stacked
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil // not a mount point (any more)
		default:
			return fmt.Errorf("unmounting %s: %w", dst, err)
		}
	}
}

// userNamespace returns a descriptor of a new user namespace holding m. A
// namespace lives only while a process or a descriptor holds it, so a child
// is started in it, stopped before it runs a single instruction of its
// program (ptrace stops it at exec), and killed once the namespace is open.
func userNamespace(m idMap) (int, error) {
	goruntime.LockOSThread() // ptrace ties the child to this thread
	defer goruntime.UnlockOSThread()
	cmd := exec.Command("/proc/self/exe")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER,
		// Inside is the id on disk, outside the id of the process that
		// writes through the mount.
		UidMappings: []syscall.SysProcIDMap{{ContainerID: int(m.HostUID), HostID: int(m.ContainerUID), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: int(m.HostGID), HostID: int(m.ContainerGID), Size: 1}},
		Ptrace:      true,
		Pdeathsig:   syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("starting a process in a new user namespace: %w", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/user", cmd.Process.Pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the new user namespace: %w", err)
	}
	return fd, nil
}

// ensureMountPoint makes dst an empty folder only root can enter the parent
// of. It never removes anything: dst may still hold a mounted workspace.
func ensureMountPoint(dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("creating mount point %s: %w", dst, err)
	}
	return nil
}
