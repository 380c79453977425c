package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/plugins"
)

// pluginsFolder makes a plugins folder holding the example plugin and the
// fake plugin under each misbehaviour given (see host/plugins/internal/fakeplugin).
func pluginsFolder(t *testing.T, fakeModes ...string) string {
	t.Helper()
	dir := t.TempDir()
	copyExecutable(t, bins.aider, filepath.Join(dir, "warden-agent-aider"))
	for _, m := range fakeModes {
		copyExecutable(t, bins.fakeplugin, filepath.Join(dir, "warden-agent-fake-"+m))
	}
	return dir
}

func copyExecutable(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o755))
}

// presets reads `warden presets --json`.
func (w *world) presets() daemon.Presets {
	w.t.Helper()
	var ps daemon.Presets
	require.NoError(w.t, json.Unmarshal([]byte(w.mustCLI("presets", "--json")), &ps))
	return ps
}

func pluginStatus(t *testing.T, ps daemon.Presets, name string) plugins.Status {
	t.Helper()
	for _, p := range ps.Plugins {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("plugin %s not in presets: %+v", name, ps.Plugins)
	return plugins.Status{}
}

// TestDockerPluginAgentType: the example plugin, built by the test, is
// loaded by a real daemon beside broken ones; it appears in `warden presets`
// with its domains, a project of its type starts under the policy (with the
// test agent image) and gets what the type defines; the broken plugins are
// reported by name and the rest keep working.
func TestDockerPluginAgentType(t *testing.T) {
	dir := pluginsFolder(t, "baddomain", "badcookie", "crash")
	w := newWorld(t, "--plugins", dir)

	requirePluginsReported(t, w)
	id := requirePluginProjectRuns(t, w)
	requireCrashingPluginRestarted(t, w, id)
	requireKilledPluginRestarted(t, w)
}

// requirePluginsReported: the plugin's type with its domains, the broken
// plugins by name with what is wrong, in the presets and the log.
func requirePluginsReported(t *testing.T, w *world) {
	out := w.mustCLI("presets")
	require.Regexp(t, `agent +aider \(Aider\) from warden-agent-aider +anthropic.com openai.com openrouter.ai\n`, out)
	require.Regexp(t, `agent +claude-code \(Claude Code\) +anthropic.com claude.ai claude.com\n`, out, "built-ins still listed")
	require.Regexp(t, `warden-agent-aider +running +aider +0 +-\n`, out)
	require.Regexp(t, `warden-agent-fake-baddomain +failed +- +0 +registering its agent type: invalid agent type "fake-baddomain": domains: invalid domain entry "bad..example"`, out)
	require.Regexp(t, `warden-agent-fake-badcookie +failed +- +0 +failed the handshake`, out)
	require.NotContains(t, out, "fake-baddomain (", "an invalid type is not offered")

	log, err := os.ReadFile(w.logPath)
	require.NoError(t, err)
	for _, name := range []string{"warden-agent-fake-baddomain", "warden-agent-fake-badcookie"} {
		require.Contains(t, string(log), `"plugin":"`+name+`"`, "reported by name in the log")
	}
}

// requirePluginProjectRuns starts a project of the plugin's type and checks
// that it runs under the policy with what the type defines.
func requirePluginProjectRuns(t *testing.T, w *world) string {
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ownedWorkspace(t), "--agent", "aider",
		"--image", agentImage, "--mode", "restricted", "--start"))
	require.Regexp(t, `^[0-9a-f]{12}$`, id)
	require.Contains(t, w.mustCLI("project", "show", id), "openrouter.ai", "the type's domains fill the allowlist")

	r := w.probe(id, "resolve", "api.anthropic.com")
	require.True(t, r.OK, r.Error)
	require.Equal(t, []string{w.ip(13)}, r.Addrs)
	require.True(t, w.probe(id, "tcp", w.addrOf(13, 7), "-send", "hi").OK)
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode)
	require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK)

	agent := "warden-" + id + "-agent"
	require.Contains(t, w.docker("inspect", "--format", "{{json .Config.Env}}", agent), "AIDER_CHECK_UPDATE=false")
	require.Equal(t, `["aider"]`, w.docker("inspect", "--format", `{{index .Config.Labels "warden.agent.command"}}`, agent))
	require.Contains(t, w.docker("inspect", "--format", "{{json .Config.Healthcheck.Test}}", agent), `"aider","--version"`)
	require.Contains(t, w.docker("inspect", "--format", "{{range .Mounts}}{{.Destination}} {{end}}", agent), "/home/agent/.aider")
	caps := w.docker("inspect", "--format", "{{json .HostConfig.CapDrop}} {{json .HostConfig.CapAdd}}", agent)
	require.Contains(t, caps, "NET_ADMIN")
	require.True(t, strings.HasSuffix(caps, " null"), "nothing added: %s", caps)

	out := w.mustCLI("exec", id, "--", "sh", "-c", "touch /home/agent/.aider/login && id -un")
	require.Equal(t, "agent", strings.TrimSpace(out), "the image's user writes its config folder")

	// With no command, exec runs the type's own: aider, which the test
	// image does not have.
	stdout, stderr, err := w.cli("exec", id)
	require.Error(t, err)
	require.Contains(t, stdout+stderr, "aider")
	return id
}

// requireCrashingPluginRestarted: a plugin that dies after each start is
// restarted and reported, and the rest keep working.
func requireCrashingPluginRestarted(t *testing.T, w *world, id string) {
	require.Eventually(t, func() bool {
		return pluginStatus(t, w.presets(), "warden-agent-fake-crash").Restarts >= 1
	}, 30*time.Second, 200*time.Millisecond)
	require.Regexp(t, `warden-agent-fake-crash +\w+ +fake-crash +[1-9]\d* +.*panic: fake plugin crashing on purpose`, w.mustCLI("presets"))

	require.True(t, w.probe(id, "resolve", "api.anthropic.com").OK, "the plugin type's project still runs")
	builtin := w.createProject("restricted", "github.com")
	require.True(t, w.probe(builtin, "resolve", "github.com").OK, "a built-in type's project starts")
	require.Equal(t, plugins.StateRunning, pluginStatus(t, w.presets(), "warden-agent-aider").State)
}

func requireKilledPluginRestarted(t *testing.T, w *world) {
	before := pluginStatus(t, w.presets(), "warden-agent-aider")
	require.NotZero(t, before.PID)
	require.NoError(t, syscall.Kill(before.PID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		st := pluginStatus(t, w.presets(), "warden-agent-aider")
		return st.State == plugins.StateRunning && st.Restarts == 1 && st.PID != before.PID
	}, 20*time.Second, 100*time.Millisecond)
	require.Contains(t, w.mustCLI("presets"), "aider (Aider) from warden-agent-aider")
	w.mustCLI("project", "create", "--workspace", ownedWorkspace(t), "--agent", "aider", "--image", agentImage)
}

// TestDockerNoPluginsFolder: a daemon whose plugins folder does not exist
// offers the built-in types and reports no plugins.
func TestDockerNoPluginsFolder(t *testing.T) {
	w := newWorld(t, "--plugins", filepath.Join(t.TempDir(), "none"))
	ps := w.presets()
	require.Empty(t, ps.Plugins)
	require.Len(t, ps.Agents, 2)
	require.NotContains(t, w.mustCLI("presets"), "PLUGIN")
}
