package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/api"
	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/cli"
)

// served is `warden serve --backend kubernetes` run in the test: the API on
// its unix socket and the API, UI and preview proxy on listen.
type served struct {
	data   string
	listen int
}

// serve runs the daemon on the Kubernetes backend in e's namespace until
// the test ends, and waits for its API to answer.
func serve(t *testing.T, e *env) *served {
	t.Helper()
	s := &served{data: t.TempDir(), listen: freeTCPPort(t)}
	cfg := e.daemonConfig(s.data, "127.0.0.1:"+strconv.Itoa(s.listen))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.Serve(ctx, cfg, nil, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the daemon ended with: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop within 30s")
		}
	})
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("the daemon ended early: %v", err)
		default:
		}
		code, _, _ := s.cli(t, "", "project", "list")
		return code == 0
	}, 30*time.Second, 50*time.Millisecond, "the daemon's API did not answer")
	return s
}

// cli runs the warden command against the daemon's socket with stdin and
// returns its exit code and output.
func (s *served) cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := cli.Execute(ctx, nil, append([]string{"--data", s.data}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustCLI is cli that fails the test on a non-zero exit.
func (s *served) mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := s.cli(t, "", args...)
	require.Zero(t, code, "warden %s: %s%s", strings.Join(args, " "), out, errOut)
	return out
}

// createProject creates and starts a project of the test image through the
// CLI, declaring ports, and returns its id.
func (s *served) createProject(t *testing.T, ports ...int) string {
	t.Helper()
	args := []string{"project", "create", "--workspace", newProject(t, "").Workspace, "--agent", "claude-code",
		"--image", "warden-agent-test:" + imageTag, "--mode", "none", "--start"}
	for _, p := range ports {
		args = append(args, "--port", strconv.Itoa(p))
	}
	id := strings.TrimSpace(s.mustCLI(t, args...))
	require.Regexp(t, `^[0-9a-f]{12}$`, id)
	return id
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// postSession starts a terminal session through the API with the JSON body
// and returns its name.
func postSession(t *testing.T, s *served, id, body string) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", api.SocketPath(s.data))
	}}}
	resp, err := c.Post("http://localhost"+api.Prefix+"/projects/"+id+"/sessions", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var info termwire.SessionInfo
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "starting a session: %s", b)
	require.NoError(t, json.Unmarshal(b, &info))
	return info.Name
}
