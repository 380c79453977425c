package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// hostServer runs one more HTTP server on the host and returns the URL the
// agent reaches it at, and its port.
func hostServer(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(rw, "another service on the host")
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	return fmt.Sprintf("http://host.docker.internal:%d/", port), port
}

func TestDockerHostAccessByPort(t *testing.T) {
	w := newWorld(t)
	listedURL, listed := hostServer(t)
	u, err := url.Parse(w.hostURL)
	require.NoError(t, err)
	unlisted := u.Port()
	id := w.createProject("restricted", "github.com")

	// all, the default: every service on the host is reachable, and so a
	// relay out.
	require.True(t, w.probe(id, "http", w.hostURL).OK)
	require.True(t, w.probe(id, "http", listedURL).OK)

	out := w.mustCLI("hostports", "set", id, fmt.Sprint(listed))
	require.Contains(t, out, "applied it in")
	require.True(t, w.probe(id, "http", listedURL).OK, "a listed port works")
	r := w.probe(id, "http", w.hostURL)
	require.False(t, r.OK, "an unlisted port is refused at once")
	require.Contains(t, w.mustCLI("events", id), "port "+unlisted, "and recorded with its port")
	require.Equal(t, fmt.Sprintln(listed), w.mustCLI("hostports", "ls", id))
	require.Contains(t, w.mustCLI("project", "show", id), fmt.Sprintf("host access  ports %d", listed))

	w.mustCLI("hostports", "none", id)
	require.False(t, w.probe(id, "http", listedURL).OK)

	w.mustCLI("hostports", "all", id)
	require.True(t, w.probe(id, "http", w.hostURL).OK, "live, both ways")

	// The daemon's own port goes to every sidecar as closed; the rule
	// itself is proven in test/enforce.
	cmd := w.docker("inspect", "--format", "{{join .Config.Cmd \" \"}}", "warden-"+id+"-sidecar")
	_, daemonPort, err := net.SplitHostPort(w.addr)
	require.NoError(t, err)
	require.Contains(t, cmd, "--host-closed-port "+daemonPort)
}
