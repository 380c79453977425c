package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The daemon runs from the host image (Dockerfile.host) as the README's run
// line has it, and a project is driven through it with the CLI on the host.
func TestDockerHostImageRunsTheDaemon(t *testing.T) {
	w := newWorldInContainer(t)
	require.Contains(t, w.docker("inspect", "--format", "{{.Config.Image}}", w.name+"-daemon"), "warden-host:")

	ws := filepath.Join(w.workRoot, "app")
	require.NoError(t, os.Mkdir(ws, 0o755))
	require.NoError(t, os.Chown(ws, 1000, 1000)) // a user's folder: root's is refused
	require.NoError(t, os.WriteFile(filepath.Join(ws, "README"), []byte("from the host"), 0o644))
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ws, "--agent", "claude-code",
		"--image", agentImage, "--mode", "restricted", "--domain", "github.com", "--start"))
	require.Equal(t, "from the host", strings.TrimSpace(w.mustCLI("exec", id, "--", "cat", "/workspace/README")))

	require.True(t, w.probe(id, "resolve", "github.com").OK, "an allowed name resolves")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "other.example.org").Rcode)
	require.Contains(t, w.mustCLI("domains", "add", id, "other.example.org"), "the sidecar applied it")
	require.True(t, w.probe(id, "resolve", "other.example.org").OK, "applied live")

	code, _ := w.api(t, "GET", "/projects/"+id+"/status", nil)
	require.Equal(t, http.StatusOK, code, "the token works over TCP")
	resp, err := http.Get("http://" + w.addr + "/api/v1/projects")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	log, err := os.ReadFile(w.logPath)
	require.NoError(t, err)
	require.Contains(t, string(log), "/login#", "the login address is in the container's output")

	w.mustCLI("project", "rm", id)
}
