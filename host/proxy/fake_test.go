package proxy

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/sidecar/relay"
)

const testID = "a1b2c3d4e5f6"

// fakeProjects holds targets by id; tests edit them between requests.
type fakeProjects struct {
	mu      sync.Mutex
	targets map[string]Target
	// stale makes PreviewCached say nothing is held.
	stale bool
}

func (f *fakeProjects) Preview(_ context.Context, id string) (Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.targets[id]
	if !ok {
		return Target{}, fmt.Errorf("%w: %s", ErrUnknownProject, id)
	}
	return t, nil
}

// PreviewCached answers from memory, as the daemon does while its
// snapshot is fresh.
func (f *fakeProjects) PreviewCached(id string) (Target, bool) {
	f.mu.Lock()
	stale := f.stale
	f.mu.Unlock()
	if stale {
		return Target{}, false
	}
	t, err := f.Preview(context.Background(), id)
	return t, err == nil
}

func (f *fakeProjects) edit(id string, fn func(*Target)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.targets[id]
	fn(&t)
	f.targets[id] = t
}

// env is a proxy in front of dev servers on this machine's loopback: the
// "project address" is 127.0.0.1, and the relay dials ::1 (a server bound
// there is what a server on the namespace's loopback looks like).
type env struct {
	projects *fakeProjects
	proxy    *Proxy
	server   *httptest.Server
	listen   int
	relayed  atomic.Int64 // relay dials
}

// newEnv serves the proxy as the daemon does: Intercept's fast path in
// front of an HTTP server.
func newEnv(t *testing.T, ports ...int) *env { return newEnvOn(t, true, ports...) }

// paths names both ways a request can take, for the tests that run over
// each: the fast path, and the HTTP server's handler alone.
var paths = map[string]bool{"fast path": true, "server": false}

func newEnvOn(t testing.TB, fast bool, ports ...int) *env {
	t.Helper()
	return newEnvWith(t, fast, ConnOptions{}, ports...)
}

// newEnvWith is newEnvOn with the fast path's limits.
func newEnvWith(t testing.TB, fast bool, opts ConnOptions, ports ...int) *env {
	t.Helper()
	return newEnvConfig(t, fast, Config{}, opts, ports...)
}

// newEnvConfig is newEnvWith with the proxy's configuration.
func newEnvConfig(t testing.TB, fast bool, cfg Config, opts ConnOptions, ports ...int) *env {
	t.Helper()
	e := &env{projects: &fakeProjects{targets: map[string]Target{testID: {
		ID: testID, Name: "web", AgentType: "claude-code", Ports: ports, Running: true,
		Addr: netip.MustParseAddr("127.0.0.1"), Socket: "/nonexistent/control.sock",
	}}}}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := New(cfg, e.projects, log)
	require.NoError(t, err)
	p.dial.dialRelay = func(ctx context.Context, socket string, port int) (net.Conn, error) {
		e.relayed.Add(1)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp6", net.JoinHostPort("::1", strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("relay: %w (%v)", relay.ErrNotListening, err)
		}
		return c, nil
	}
	e.proxy = p
	e.server = httptest.NewUnstartedServer(p)
	if fast {
		e.server.Listener = p.Intercept(e.server.Listener, opts)
	}
	e.server.Start()
	t.Cleanup(func() {
		e.server.Close()
		p.Close()
	})
	e.listen = e.server.Listener.Addr().(*net.TCPAddr).Port
	return e
}

// fastServed counts the requests the fast paths answered, loops included;
// loopServed those the event loops answered.
func (e *env) fastServed() int64 { f, l := e.proxy.fast.Served(); return f + l }
func (e *env) loopServed() int64 { _, l := e.proxy.fast.Served(); return l }

// rawBackend answers each connection with script, which reads requests
// from br and writes whatever it likes to c.
func rawBackend(t *testing.T, script func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				script(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String(), conns
}

// host is the preview Host of port.
func (e *env) host(port int) string {
	return Host{ProjectID: testID, AgentType: "claude-code", Port: port, Listen: e.listen}.Authority()
}

// get sends method path to the preview of port with extra headers.
func (e *env) do(t *testing.T, method string, port int, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.server.URL+path, nil)
	require.NoError(t, err)
	req.Host = e.host(port)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.server.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// backend starts a dev server on addr ("127.0.0.1:0", "[::1]:0") and
// returns its port.
func backend(t testing.TB, addr string, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// closedPort is a port nothing listens on, on either loopback.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
