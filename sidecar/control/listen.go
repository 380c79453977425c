package control

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// maxSocketPath is the longest path a unix socket address can hold on Linux
// (sun_path is 108 bytes including the terminating NUL).
const maxSocketPath = 107

// Listen opens the control socket at path with mode 0600, creating its
// parent directory with mode 0700 when missing. A socket file left behind by
// a process that is gone is replaced; a socket some process still answers
// on, or a path that is not a socket, is refused. Closing the listener
// removes the socket file.
//
// The socket is bound under a temporary name, restricted, then renamed into
// place, so there is no moment when path accepts connections with looser
// permissions.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, ".wctl-"+randomSuffix())
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket path %s is %d bytes; a unix socket path holds at most %d", path, len(path), maxSocketPath)
	}
	if len(tmp) > maxSocketPath {
		return nil, fmt.Errorf("control socket folder %s is too long: a socket is first bound there as %s, and a unix socket path holds at most %d bytes; choose a shorter folder", dir, filepath.Base(tmp), maxSocketPath)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating control socket folder %s: %w", dir, err)
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}

	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on control socket %s: %w", path, err)
	}
	ul.SetUnlinkOnClose(false)
	fail := func(format string, err error) (net.Listener, error) {
		_ = ul.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf(format, path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail("restricting control socket %s: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("moving control socket into place at %s: %w", err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail("checking control socket %s: %w", err)
	}
	return &socketListener{UnixListener: ul, path: path, info: info}, nil
}

// removeStaleSocket removes path if it is a socket nobody answers on.
func removeStaleSocket(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking control socket %s: %w", path, err)
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket path %s exists and is not a socket (%s); refusing to replace it", path, info.Mode().Type())
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		_ = c.Close()
		return fmt.Errorf("control socket %s is in use: another process is listening on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale control socket %s: %w", path, err)
	}
	return nil
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// socketListener removes its socket file on Close, unless the path has since
// been taken over by another socket.
type socketListener struct {
	*net.UnixListener
	path string
	info os.FileInfo
	once sync.Once
}

func (l *socketListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if now, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(now, l.info) {
			_ = os.Remove(l.path)
		}
	})
	return err
}
