//go:build unix && !linux

package project

import (
	"errors"
	"os"
	"syscall"
)

// readRegularFile reads at most limit bytes of a regular file. The agent
// writes the workspace, so the file may be a trap: a symbolic link to a host
// file is refused without being followed, and a FIFO or device is refused
// without blocking (O_NONBLOCK) or being read.
func readRegularFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, errors.New("it is a symbolic link; expect a regular file")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}
