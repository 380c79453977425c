package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// devSeen is what test/devserver answers on most paths.
type devSeen struct {
	ID      string `json:"id"`
	Local   string `json:"local"`
	Method  string `json:"method"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Origin  string `json:"origin"`
	Referer string `json:"referer"`
	XFF     string `json:"xForwardedFor"`
	XFH     string `json:"xForwardedHost"`
	XFP     string `json:"xForwardedProto"`
}

// previewProject creates and starts a project in workspace (made when
// empty) and returns its id.
func (w *world) previewProject(t *testing.T, name, workspace string) string {
	t.Helper()
	if workspace == "" {
		workspace = ownedWorkspace(t)
	}
	id := strings.TrimSpace(w.mustCLI("project", "create", "--name", name, "--workspace", workspace,
		"--agent", "claude-code", "--image", agentImage, "--mode", "restricted", "--domain", "github.com", "--start"))
	require.Regexp(t, `^[0-9a-f]{12}$`, id)
	return id
}

// startDevServer runs test/devserver in the project's agent and waits until
// the sidecar sees every address listening.
func (w *world) startDevServer(t *testing.T, id, name string, listen ...string) {
	t.Helper()
	args := []string{"exec", "-d", "warden-" + id + "-agent", "devserver", "-id", name}
	for _, l := range listen {
		args = append(args, "-listen", l)
	}
	w.docker(args...)
	want := map[int]bool{}
	for _, l := range listen {
		_, p, _ := net.SplitHostPort(l)
		n, _ := strconv.Atoi(p)
		want[n] = true
	}
	require.Eventually(t, func() bool {
		ports := w.previewPorts(t, id)
		n := 0
		for _, l := range ports.Listening {
			if want[l.Port] {
				n++
			}
		}
		return n == len(want)
	}, 20*time.Second, 50*time.Millisecond, "devserver in %s did not come up on %v", id, listen)
}

// previewHost is the Host a browser sends for the project's port.
func (w *world) previewHost(id string, port int) string {
	_, listen, _ := net.SplitHostPort(w.addr)
	return id + "-claude-code-" + strconv.Itoa(port) + ".localhost:" + listen
}

// hostGet sends a request to the daemon's listener with the given Host.
func (w *world) hostDo(t *testing.T, method, host, path string, hdr map[string]string, body io.Reader) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+w.addr+path, body)
	require.NoError(t, err)
	req.Host = host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := previewClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

var previewClient = &http.Client{Timeout: 60 * time.Second}

// seenAt GETs path on the preview and decodes the devserver's answer.
func (w *world) seenAt(t *testing.T, id string, port int, path string, hdr map[string]string) devSeen {
	t.Helper()
	resp := w.hostDo(t, "GET", w.previewHost(id, port), path, hdr, nil)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", w.previewHost(id, port), body)
	var s devSeen
	require.NoError(t, json.Unmarshal(body, &s), "%s", body)
	return s
}

// previewStatus GETs / on the preview and returns the status and, for the
// proxy's own pages, their kind.
func (w *world) previewStatus(t *testing.T, host string, hdr map[string]string) (int, string) {
	t.Helper()
	resp := w.hostDo(t, "GET", host, "/", hdr, nil)
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Warden-Preview")
}

// previewPortsAnswer is GET /api/v1/projects/{id}/ports.
type previewPortsAnswer struct {
	Declared  []int `json:"declared"`
	Listening []struct {
		Port         int      `json:"port"`
		Addresses    []string `json:"addresses"`
		LoopbackOnly bool     `json:"loopbackOnly"`
	} `json:"listening"`
	ListeningError string `json:"listeningError"`
	Previews       []struct {
		Port      int    `json:"port"`
		URL       string `json:"url"`
		Declared  bool   `json:"declared"`
		Listening bool   `json:"listening"`
	} `json:"previews"`
}

func (w *world) previewPorts(t *testing.T, id string) previewPortsAnswer {
	t.Helper()
	resp := w.hostDo(t, "GET", w.addr, "/api/v1/projects/"+id+"/ports", map[string]string{"Authorization": "Bearer " + w.token()}, nil)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	var a previewPortsAnswer
	require.NoError(t, json.Unmarshal(body, &a), "%s", body)
	return a
}

// dialPreviewWS opens a WebSocket to path on the preview, with origin
// ("" sends none).
func (w *world) dialPreviewWS(host, path, origin string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	return websocket.Dial(ctx, "ws://"+host+path, &websocket.DialOptions{
		HTTPHeader: hdr,
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, w.addr)
			},
		}},
	})
}

// writeWardenFile writes .warden.json in a workspace.
func writeWardenFile(t *testing.T, workspace, body string) {
	t.Helper()
	tmp := filepath.Join(workspace, ".warden.json.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(body), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(workspace, ".warden.json")))
}

// namespaceListeners counts the listening TCP sockets in the project's
// namespace, as the agent sees them.
func (w *world) namespaceListeners(t *testing.T, id string) int {
	t.Helper()
	out := w.docker("exec", "warden-"+id+"-agent", "cat", "/proc/net/tcp", "/proc/net/tcp6")
	n := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && f[3] == "0A" {
			n++
		}
	}
	return n
}
