package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// readRegularFile reads at most limit bytes of a regular file. The agent
// writes the workspace, so the file may be a trap, and the daemon reads it
// as root: it is first opened with O_PATH, which opens nothing (a FIFO's
// writer is not released, a device's driver is not called), and its type
// is taken from that descriptor. Only a regular file is then opened for
// reading, through the same descriptor, so a swap in between cannot
// change what is read. A symbolic link is refused without being followed.
func readRegularFile(path string, limit int64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFLNK:
		return nil, errors.New("it is a symbolic link; expect a regular file")
	default:
		return nil, fmt.Errorf("it is not a regular file (%s); expect a regular file", fileType(st.Mode))
	}
	f, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

// fileType names a file type the way ls does.
func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFDIR:
		return "a folder"
	}
	return "mode " + strconv.FormatUint(uint64(mode), 8)
}
