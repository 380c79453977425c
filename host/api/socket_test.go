package api

import (
	"net"
	"os"
	"path/filepath"
	"strings"
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
