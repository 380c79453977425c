package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDockerStopStartRemove(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	sidecar, agent := "warden-"+id+"-sidecar", "warden-"+id+"-agent"
	state := func(name string) string {
		out, err := exec.Command("docker", "inspect", "--format", "{{.State.Status}}", name).CombinedOutput()
		if err != nil {
			return "gone"
		}
		return strings.TrimSpace(string(out))
	}
	require.Equal(t, "running", state(sidecar))
	require.Equal(t, "running", state(agent))

	w.mustCLI("project", "stop", id)
	require.Equal(t, "exited", state(sidecar))
	require.Equal(t, "exited", state(agent))

	w.mustCLI("domains", "add", id, "other.example.org")
	w.mustCLI("project", "start", id)
	require.Equal(t, "running", state(agent))
	require.True(t, w.probe(id, "resolve", "other.example.org").OK, "an edit made while stopped holds after the start")

	socketDir := filepath.Join(w.data, "sockets", id)
	_, err := os.Stat(socketDir)
	require.NoError(t, err)
	w.mustCLI("project", "rm", id)
	require.Equal(t, "gone", state(sidecar))
	require.Equal(t, "gone", state(agent))
	_, err = os.Stat(socketDir)
	require.True(t, os.IsNotExist(err), "the project's files are removed")
	_, errOut, err := w.cli("project", "show", id)
	require.Error(t, err)
	require.Contains(t, errOut, id)
}
