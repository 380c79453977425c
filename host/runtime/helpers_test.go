package runtime

import (
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/docker/docker/pkg/stdcopy"
)

// stdcopyAll reads a multiplexed exec stream into one writer.
func stdcopyAll(w io.Writer, r io.Reader) (int64, error) {
	return stdcopy.StdCopy(w, w, r)
}

// netPipe is a connected pair standing in for a hijacked connection.
func netPipe() (net.Conn, net.Conn) { return net.Pipe() }

// ownedDir is a temporary folder owned by uid and gid 1000, as a user's own
// workspace is: Warden refuses one of root's.
func ownedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shortTempDir is a temporary folder with a short path: a control socket's
// path must fit in 107 bytes, and t.TempDir holds the test's name.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func statOf(t *testing.T, info os.FileInfo) *syscall.Stat_t {
	t.Helper()
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		t.Fatalf("no stat for %s", info.Name())
	}
	return st
}
