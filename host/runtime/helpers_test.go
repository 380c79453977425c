package runtime

import (
	"io"
	"net"
	"os"
	"testing"

	"github.com/docker/docker/pkg/stdcopy"
)

// stdcopyAll reads a multiplexed exec stream into one writer.
func stdcopyAll(w io.Writer, r io.Reader) (int64, error) {
	return stdcopy.StdCopy(w, w, r)
}

// netPipe is a connected pair standing in for a hijacked connection.
func netPipe() (net.Conn, net.Conn) { return net.Pipe() }

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
