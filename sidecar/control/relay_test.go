package control

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/events"
	"github.com/warden-sh/warden/sidecar/relay"
)

// fakeNamespace dials the real loopback and lists canned ports.
type fakeNamespace struct {
	relay.Dialer
	ports []shared.ListeningPort
	err   error
}

func (f fakeNamespace) Listening() ([]shared.ListeningPort, error) { return f.ports, f.err }

// startNS serves a control socket with the preview routes.
func startNS(t *testing.T, ns Namespace) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "control.sock")
	ln, err := Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- NewServer(&fakeEngine{}, events.New(10), discard()).ServeNamespace(ns).Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
	return path
}

// echoServer echoes each line on 127.0.0.1; greet is written first when set.
func echoServer(t *testing.T, greet string) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if greet != "" {
					_, _ = io.WriteString(c, greet)
				}
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestRelay(t *testing.T) {
	sock := startNS(t, fakeNamespace{Dialer: relay.Dialer{Own: []int{5353}}})
	ctx := context.Background()

	t.Run("echo and half-close", func(t *testing.T) {
		c, err := DialRelay(ctx, sock, echoServer(t, ""))
		require.NoError(t, err)
		defer c.Close()
		_, isUnix := c.(*net.UnixConn)
		require.True(t, isUnix, "nothing buffered: the plain socket, so copies can use its descriptor")
		_, err = io.WriteString(c, "ping\n")
		require.NoError(t, err)
		require.NoError(t, c.(*net.UnixConn).CloseWrite())
		b, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "ping\n", string(b), "the echo, then the end passed back")
	})
	t.Run("server speaks first", func(t *testing.T) {
		c, err := DialRelay(ctx, sock, echoServer(t, "220 hello\n"))
		require.NoError(t, err)
		defer c.Close()
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "220 hello\n", line)
	})
	t.Run("nothing listening", func(t *testing.T) {
		_, err := DialRelay(ctx, sock, closedPort(t))
		require.ErrorIs(t, err, relay.ErrNotListening)
		require.ErrorContains(t, err, "502")
	})
	t.Run("own ports", func(t *testing.T) {
		for _, port := range []int{53, 5353} {
			_, err := DialRelay(ctx, sock, port)
			require.ErrorIs(t, err, relay.ErrRefusedPort)
		}
	})
	t.Run("bad port", func(t *testing.T) {
		for _, port := range []int{0, 65536} {
			_, err := DialRelay(ctx, sock, port)
			var apiErr *APIError
			require.True(t, errors.As(err, &apiErr), "%v", err)
			require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
			require.Contains(t, apiErr.Message, "1 to 65535")
		}
	})
	t.Run("no upgrade header", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
		resp, err := c.Get("http://sidecar/v1/relay?port=8080")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := DialRelay(ctx, filepath.Join(t.TempDir(), "none.sock"), 8080)
		require.ErrorIs(t, err, ErrUnreachable)
	})
	t.Run("context ends", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := DialRelay(cctx, sock, echoServer(t, ""))
		require.Error(t, err)
	})
}

func TestListening(t *testing.T) {
	want := []shared.ListeningPort{{Port: 5173, Addresses: []string{"127.0.0.1"}, LoopbackOnly: true}}
	sock := startNS(t, fakeNamespace{ports: want})
	got, err := NewClient(sock).Listening(context.Background())
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestPreviewRoutesNeedANamespace(t *testing.T) {
	h := start(t, &fakeEngine{})
	code, _, body := h.do(t, http.MethodGet, "/v1/listening", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, errorText(t, body), "no such route")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := DialRelay(ctx, h.path, 8080)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	require.Equal(t, http.StatusNotFound, apiErr.StatusCode)
}
