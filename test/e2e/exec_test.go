package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDockerExecPassesExitCodesAndTerminal(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("none")

	_, _, err := w.cli("exec", id, "--", "sh", "-c", "exit 3")
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "exec failed to run: %v", err)
	require.Equal(t, 3, ee.ExitCode(), "the command's exit code is passed back")

	out := w.mustCLI("exec", id, "--", "sh", "-c", "test -t 1 && echo terminal || echo pipe")
	require.Equal(t, "pipe", strings.TrimSpace(out))
	out = w.mustCLI("exec", "-t", id, "--", "sh", "-c", "test -t 1 && echo terminal || echo pipe")
	require.Equal(t, "terminal", strings.TrimSpace(out), "-t gives the command a terminal")

	out = w.mustCLI("exec", id, "--", "id", "-un")
	require.Equal(t, "agent", strings.TrimSpace(out), "commands run as the image's user")
	require.Equal(t, "/workspace", strings.TrimSpace(w.mustCLI("exec", id, "--", "pwd")))
}

func TestDockerWardenFileAddsPortsButNeverPolicy(t *testing.T) {
	w := newWorld(t)
	ws := ownedWorkspace(t)
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ws, "--image", agentImage,
		"--mode", "restricted", "--domain", "github.com", "--port", "3000", "--start"))

	status := func() map[string]any {
		var st map[string]any
		require.NoError(t, json.Unmarshal([]byte(w.mustCLI("status", id, "--json")), &st))
		return st
	}
	// The agent writes the file from inside its container, as it could.
	w.mustCLI("exec", id, "--", "sh", "-c", `echo '{"forwardedPorts": [5173, 3000], "mode": "full", "domains": ["blocked.example"]}' > /workspace/.warden.json`)
	require.Eventually(t, func() bool {
		ports, _ := status()["ports"].([]any)
		return len(ports) == 2 && ports[0] == float64(3000) && ports[1] == float64(5173)
	}, 5*time.Second, 100*time.Millisecond, "the declared port was not merged")

	st := status()
	require.Equal(t, "restricted", st["project"].(map[string]any)["mode"], ".warden.json changed the mode")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode, ".warden.json changed the allowlist")

	require.NoError(t, os.WriteFile(filepath.Join(ws, ".warden.json"), []byte(`{"forwardedPorts": [5173,`), 0o666))
	require.Eventually(t, func() bool {
		st := status()
		msg, _ := st["wardenFileError"].(string)
		ports, _ := st["ports"].([]any)
		return msg != "" && len(ports) == 2
	}, 5*time.Second, 100*time.Millisecond, "invalid JSON should show an error and keep the previous list")
}
