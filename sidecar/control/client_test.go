package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestClientUnreachable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.sock")
	c := NewClient(path)
	ctx := context.Background()

	calls := map[string]func() error{
		"Healthz":   func() error { return c.Healthz(ctx) },
		"Status":    func() error { _, err := c.Status(ctx); return err },
		"PutPolicy": func() error { _, err := c.PutPolicy(ctx, shared.Policy{Mode: shared.ModeNone}); return err },
		"Events":    func() error { _, err := c.Events(ctx, 0); return err },
		"Follow":    func() error { return c.Follow(ctx, func(shared.Event) {}) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.ErrorIs(t, err, ErrUnreachable)
			require.ErrorIs(t, err, syscall.ENOENT)
			require.Equal(t, "sidecar control socket "+path+" not reachable: connect: no such file or directory", err.Error())
		})
	}
}

func TestClientStaleSocketIsUnreachable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.sock")
	leaveStaleSocket(t, path)
	err := NewClient(path).Healthz(context.Background())
	require.ErrorIs(t, err, ErrUnreachable)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func TestClientBadPolicy(t *testing.T) {
	h := start(t, &fakeEngine{})
	_, err := h.client.PutPolicy(context.Background(), shared.Policy{
		Mode: shared.ModeRestricted, Domains: []string{"github.com", "github.com:443"},
	})
	require.ErrorIs(t, err, ErrBadPolicy)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	require.Contains(t, apiErr.Message, `invalid domain entry "github.com:443": contains a port`)
	require.True(t, strings.HasPrefix(err.Error(), "sidecar answered PUT /v1/policy with 400 Bad Request: invalid domain entry"), err.Error())
	require.Empty(t, h.eng.appliedPolicies())
}

func TestClientApplyFailureIsNotBadPolicy(t *testing.T) {
	h := start(t, &fakeEngine{applyErr: errors.New("ipset is full")})
	_, err := h.client.PutPolicy(context.Background(), shared.Policy{Mode: shared.ModeFull})
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrBadPolicy)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	require.Contains(t, apiErr.Message, "ipset is full")
}

func TestClientPutPolicy(t *testing.T) {
	h := start(t, &fakeEngine{})
	res, err := h.client.PutPolicy(context.Background(), shared.Policy{
		Mode: shared.ModeRestricted, Domains: []string{"Example.COM", "api.github.com"},
	})
	require.NoError(t, err)
	require.Equal(t, shared.ModeRestricted, res.Mode)
	require.Equal(t, []string{"api.github.com", "example.com"}, res.Domains)
	require.Equal(t, 1.5, res.DurationMs)
}

// TestClientNonJSONError covers a server that answers with plain text,
// such as a proxy or an older sidecar.
func TestClientNonJSONError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	_, err = NewClient(path).Status(context.Background())
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, "sidecar answered GET /v1/status with 502 Bad Gateway: upstream exploded", err.Error())
}

func TestClientContextDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "slow.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = NewClient(path).Status(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, ErrUnreachable)
	require.Contains(t, err.Error(), "calling sidecar GET /v1/status on "+path)
}

// leaveStaleSocket creates a socket file at path that nothing listens on,
// as a killed process leaves behind.
func leaveStaleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	ln.SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	info, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket, info.Mode().Type())
}
