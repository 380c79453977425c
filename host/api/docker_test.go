package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
)

// Images `make images` builds (tagged WARDEN_IMAGE_TAG, "latest" when unset).
var (
	dockerSidecarImage = "warden-sidecar:" + imageTag()
	dockerAgentImage   = "warden-agent-test:" + imageTag()
)

func imageTag() string {
	if tag := os.Getenv("WARDEN_IMAGE_TAG"); tag != "" {
		return tag
	}
	return "latest"
}

// apiClient calls a served API the way the CLI does.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (c apiClient) call(method, path string, body any, out any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	if out != nil && resp.StatusCode < 300 {
		require.NoError(c.t, json.Unmarshal(raw, out), string(raw))
	}
	if resp.StatusCode >= 300 {
		c.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// serveForTest runs Serve on cfg until the returned stop is called.
func serveForTest(t *testing.T, cfg daemon.Config) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	announced := make(chan LoginCode, 1)
	go func() { served <- Serve(ctx, cfg, testLogger(t), func(lc LoginCode) { announced <- lc }) }()
	overSocket := socketHTTPClient(SocketPath(cfg.DataDir))
	require.Eventually(t, func() bool {
		resp, err := overSocket.Get("http://localhost/api/v1/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the API answers on the socket")
	resp, err := http.Get("http://" + cfg.Listen + "/api/v1/health")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "over TCP, even health needs a credential")
	select {
	case lc := <-announced:
		require.True(t, strings.HasPrefix(lc.URL, "http://localhost:"+portOfOrigin("http://"+cfg.Listen)+"/login#"), lc.URL)
	default:
		t.Fatal("Serve announced no login address before answering")
	}
	return func() {
		cancel()
		select {
		case err := <-served:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
	}
}

// socketHTTPClient calls the API over its unix socket, as the CLI does.
func socketHTTPClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
}

func freeAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

func projectContainers(t *testing.T, cli *client.Client, id string) []container.Summary {
	t.Helper()
	found, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", runtime.LabelProject+"="+id))})
	require.NoError(t, err)
	return found
}

// TestDockerServe drives the whole daemon through its HTTP API against the
// real engine: create, start, a live edit, a killed sidecar, a daemon
// restart, delete. It fails (never skips) without Docker or the images.
func TestDockerServe(t *testing.T) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	require.NoError(t, err)
	defer cli.Close()
	pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err = cli.Ping(pctx)
	cancel()
	require.NoError(t, err, "the Docker engine must be reachable for TestDocker tests")
	for _, img := range []string{dockerSidecarImage, dockerAgentImage} {
		_, err := cli.ImageInspect(context.Background(), img)
		require.NoError(t, err, "image %s is missing; run `make images`", img)
	}

	data, err := os.MkdirTemp("", "wapi") // short: control socket paths are capped
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(data) })
	cfg := daemon.DefaultConfig()
	cfg.DataDir = data
	cfg.SidecarImage = dockerSidecarImage
	cfg.Listen = freeAddress(t)
	cfg.Upstreams = []string{"192.0.2.53:53"} // never asked: nothing is resolved here
	cfg.ReadyTimeout = 20 * time.Second
	cfg.ReconcileInterval = 200 * time.Millisecond

	stop := serveForTest(t, cfg)
	defer func() { stop() }()
	token, err := ReadToken(data)
	require.NoError(t, err)
	api := apiClient{t: t, base: "http://" + cfg.Listen + Prefix, token: token}

	// A user's own folder: Warden refuses one of root's.
	workspace := t.TempDir()
	require.NoError(t, os.Chown(workspace, 1000, 1000))
	var p project.Project
	require.Equal(t, http.StatusCreated, api.call("POST", "/projects", map[string]any{
		"name": "docker-test", "workspace": workspace, "agentType": "claude-code",
		"image": dockerAgentImage, "domains": []string{"github.com"},
	}, &p))
	t.Cleanup(func() {
		for _, c := range projectContainers(t, cli, p.ID) {
			_ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true})
		}
	})

	var res ProjectResult
	require.Equal(t, http.StatusOK, api.call("POST", "/projects/docker-test/start", nil, &res))
	require.True(t, res.Push.Applied, "the stored policy is confirmed at start: %+v", res.Push)

	require.Equal(t, http.StatusOK, api.call("PATCH", "/projects/"+p.ID, map[string]any{
		"addDomains": []string{"example.org"},
	}, &res))
	require.True(t, res.Push.Applied, "%+v", res.Push)
	require.Positive(t, res.Push.DurationMs)

	status := func() daemon.Status {
		var st daemon.Status
		require.Equal(t, http.StatusOK, api.call("GET", "/projects/"+p.ID+"/status", nil, &st))
		return st
	}
	st := status()
	require.True(t, st.Running, "%+v", st.Containers)
	require.NotNil(t, st.Sidecar, st.SidecarError)
	require.Equal(t, []string{"example.org", "github.com"}, st.Sidecar.Domains)

	// A killed sidecar comes back under the same policy, with its agent
	// moved into the new namespace.
	before := st.Containers.Sidecar.StartedAt
	require.NoError(t, cli.ContainerKill(context.Background(), st.Containers.Sidecar.ID, "SIGKILL"))
	require.Eventually(t, func() bool {
		st = status()
		return st.Running && st.Sidecar != nil && st.Containers.Sidecar.StartedAt.After(before) &&
			!st.Containers.Agent.StartedAt.Before(st.Containers.Sidecar.StartedAt)
	}, 60*time.Second, 250*time.Millisecond, "sidecar and agent run again: %+v", st.Containers)
	require.Equal(t, []string{"example.org", "github.com"}, st.Sidecar.Domains)

	// The daemon goes away and comes back: the containers are still its own.
	stop()
	stop = serveForTest(t, cfg)
	require.Eventually(t, func() bool { return status().Running }, 30*time.Second, 250*time.Millisecond)

	require.Equal(t, http.StatusNoContent, api.call("DELETE", "/projects/docker-test", nil, nil))
	require.Empty(t, projectContainers(t, cli, p.ID), "delete removes the containers")
	_, err = os.Stat(cfg.SocketRoot() + "/" + p.ID)
	require.True(t, os.IsNotExist(err), "delete removes the socket folder")
	require.Equal(t, http.StatusNotFound, api.call("GET", "/projects/"+p.ID, nil, nil))
	require.False(t, strings.Contains(token, " "))
}
