package e2e

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A project's env values reach its agent and nothing else: no CLI command,
// no API answer, no daemon log line carries one.
func TestDockerEnvValuesNeverComeBack(t *testing.T) {
	w := newWorld(t)
	const secret, other = "sk-e2e-9f8e7d6c5b4a", "second-e2e-value-1234"
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ownedWorkspace(t), "--agent", "claude-code",
		"--image", agentImage, "--mode", "restricted", "--domain", "github.com", "--env", "API_KEY="+secret, "--start"))

	// The agent has it.
	require.Equal(t, secret, strings.TrimSpace(w.mustCLI("exec", id, "--", "printenv", "API_KEY")))

	// seen maps what was asked to what came back.
	seen := map[string]string{}
	for _, args := range [][]string{
		{"project", "ls"}, {"project", "ls", "--json"}, {"project", "show", id}, {"project", "show", id, "--json"},
		{"project", "env", id}, {"project", "env", id, "ls", "--json"},
		{"project", "env", id, "set", "OTHER=" + other}, {"project", "env", id, "set", "OTHER=" + other, "--json"},
		{"status", id}, {"status", id, "--json"}, {"events", id}, {"events", id, "--json"},
		{"domains", "ls", id}, {"ports", "ls", id, "--json"}, {"presets"}, {"mode", id, "restricted", "--json"},
		{"domains", "add", id, "other.example.org", "--json"}, {"project", "restart", id, "--json"},
	} {
		out, errOut, err := w.cli(args...)
		require.NoError(t, err, "warden %v: %s", args, errOut)
		seen["warden "+strings.Join(args, " ")] = out + errOut
	}
	require.Contains(t, seen["warden project show "+id], "API_KEY", "the names are shown")
	require.Equal(t, other, strings.TrimSpace(w.mustCLI("exec", id, "--", "printenv", "OTHER")), "set applies at the restart")
	require.Equal(t, secret, strings.TrimSpace(w.mustCLI("exec", id, "--", "printenv", "API_KEY")), "and keeps the others")

	for _, path := range []string{"/projects", "/projects/" + id, "/projects/" + id + "/status", "/projects/" + id + "/events",
		"/projects/" + id + "/ports", "/projects/" + id + "/grants", "/presets"} {
		code, body := w.api(t, "GET", path, nil)
		require.Equal(t, http.StatusOK, code, path)
		seen["GET "+path] = string(body)
	}
	for _, method := range []string{"start", "stop"} {
		code, body := w.api(t, "POST", "/projects/"+id+"/"+method, nil)
		require.Equal(t, http.StatusOK, code, string(body))
		seen["POST "+method] = string(body)
	}
	log, err := os.ReadFile(w.logPath)
	require.NoError(t, err)
	seen["the daemon's log"] = string(log)

	for asked, answer := range seen {
		require.NotContains(t, answer, secret, "an env value came back from %s", asked)
		require.NotContains(t, answer, other, "an env value came back from %s", asked)
	}

	w.mustCLI("project", "env", id, "unset", "API_KEY")
	require.Equal(t, "OTHER=set\n", w.mustCLI("project", "env", id))
}
