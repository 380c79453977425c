package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListenSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "wsock") // short: socket paths are capped
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := SocketPath(dir)

	ln, err := listenSocket(path, "no-such-group-for-warden-tests")
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o660), info.Mode().Perm())
	require.Equal(t, os.ModeSocket, info.Mode().Type())

	_, err = listenSocket(path, "")
	require.ErrorContains(t, err, "another daemon already answers on "+path)
	require.NoError(t, ln.Close())
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "a closed listener removes its socket")

	// A socket left by a daemon that died is replaced.
	stale, err := net.Listen("unix", path)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, stale.Close())
	ln, err = listenSocket(path, "")
	require.NoError(t, err)
	require.NoError(t, ln.Close())

	require.NoError(t, os.WriteFile(path, nil, 0o600))
	_, err = listenSocket(path, "")
	require.ErrorContains(t, err, "is not a socket")

	long := filepath.Join(dir, strings.Repeat("d", 120), SocketFile)
	_, err = listenSocket(long, "")
	require.ErrorContains(t, err, "choose a shorter data folder")
}

// A caller on the socket needs no token, and the access log names its uid.
func TestSocketCallersAreAuthenticatedAndLogged(t *testing.T) {
	dir, err := os.MkdirTemp("", "wsock")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := listenSocket(SocketPath(dir), "")
	require.NoError(t, err)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	svc := newFakeService()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveOn(ctx, ln, NewServer(svc, NewAuth(testToken, testOrigin), log), log, socketConnContext)
	}()

	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", SocketPath(dir))
	}}}
	resp, err := client.Get("http://localhost/api/v1/projects")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, int64(1), svc.calls.Load())
	cancel()
	require.NoError(t, <-served) // the request, and its log line, are done
	require.Contains(t, logs.String(), "uid="+strconv.Itoa(os.Getuid()))
}

// syncWriter lets the server's goroutines and the test share a buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
