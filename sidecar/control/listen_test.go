package control

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/sidecar/events"
)

func TestListenModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "control.sock")
	ln, err := Listen(path)
	require.NoError(t, err)
	defer ln.Close()

	info, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket, info.Mode().Type())
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dirInfo, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary socket is left behind")

	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.Close()
		}
	}()
	c, err := net.Dial("unix", path)
	require.NoError(t, err, "the renamed socket accepts connections")
	_ = c.Close()
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	leaveStaleSocket(t, path)

	ln, err := Listen(path)
	require.NoError(t, err)
	srv := NewServer(&fakeEngine{}, events.New(1), discard())
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	require.NoError(t, NewClient(path).Healthz(context.Background()))
	cancel()
	require.NoError(t, <-served)
	require.NoFileExists(t, path)
}

func TestListenRefuses(t *testing.T) {
	t.Run("socket in use", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "control.sock")
		first, err := Listen(path)
		require.NoError(t, err)
		defer first.Close()
		_, err = Listen(path)
		require.ErrorContains(t, err, "control socket "+path+" is in use")
	})
	t.Run("not a socket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "control.sock")
		require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o644))
		_, err := Listen(path)
		require.ErrorContains(t, err, "exists and is not a socket")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "keep me", string(b))
	})
	t.Run("path too long", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), strings.Repeat("x", 120)+".sock")
		_, err := Listen(path)
		require.ErrorContains(t, err, "a unix socket path holds at most 107")
	})
}

func TestCloseLeavesAReplacementAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	old, err := Listen(path)
	require.NoError(t, err)
	// Someone removed the socket and a new sidecar took the path over.
	require.NoError(t, os.Remove(path))
	replacement, err := Listen(path)
	require.NoError(t, err)
	defer replacement.Close()

	require.NoError(t, old.Close())
	require.FileExists(t, path, "closing the old listener must not remove the new socket")
}
