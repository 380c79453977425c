package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The workspace refusals, through the CLI and a real daemon: system
// folders, nested projects, and a workspace swapped for a link between
// two starts.
func TestDockerWorkspaceRefusals(t *testing.T) {
	w := newWorld(t)
	create := func(workspace string) (string, string, error) {
		return w.cli("project", "create", "--workspace", workspace, "--agent", "claude-code", "--image", agentImage,
			"--mode", "none")
	}
	for _, ws := range []string{"/etc", "/", "/root", "/var/lib/docker", w.data} {
		_, errOut, err := create(ws)
		require.Error(t, err, ws)
		require.Contains(t, errOut, ws, "the refusal names the folder")
	}

	parent := t.TempDir()
	app := filepath.Join(parent, "app")
	require.NoError(t, os.Mkdir(app, 0o755))
	require.NoError(t, os.Chown(app, 1000, 1000)) // a user's folder: root's is refused
	out, errOut, err := create(app)
	require.NoError(t, err, errOut)
	id := strings.TrimSpace(out)
	_, errOut, err = create(parent)
	require.Error(t, err)
	require.Contains(t, errOut, "inside or around the workspace")
	require.Contains(t, errOut, id)

	w.mustCLI("project", "start", id)
	require.Equal(t, "", strings.TrimSpace(w.mustCLI("exec", id, "--", "ls", "/workspace")))
	w.mustCLI("project", "stop", id)

	// The folder is replaced by a link to another host folder.
	decoy := ownedWorkspace(t)
	require.NoError(t, os.WriteFile(filepath.Join(decoy, "id_ed25519"), []byte("PRIVATE KEY"), 0o600))
	require.NoError(t, os.Rename(app, app+".old"))
	require.NoError(t, os.Symlink(decoy, app))
	_, errOut, err = w.cli("project", "start", id)
	require.Error(t, err, "a start through the swapped path is refused")
	require.Contains(t, errOut, "was replaced")
	require.Contains(t, errOut, decoy)
	require.Contains(t, errOut, app)
	state, _ := exec.Command("docker", "inspect", "--format", "{{.State.Status}}", "warden-"+id+"-agent").Output()
	require.NotEqual(t, "running", strings.TrimSpace(string(state)), "the agent did not run with the host's folder")
}
