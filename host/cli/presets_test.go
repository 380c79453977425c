package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/plugins"
)

func TestPrintPresetsShowsPluginProblems(t *testing.T) {
	ps := wire.Presets{
		Agents: []agent.Entry{
			{Definition: agent.Definition{Name: "claude-code", DisplayName: "Claude Code", Domains: []string{"anthropic.com"}}},
			{Definition: agent.Definition{Name: "aider", DisplayName: "Aider", Domains: []string{"openai.com", "openrouter.ai"}}, Plugin: "warden-agent-aider"},
		},
		Runtimes:       map[string][]string{"node": {"npmjs.org"}},
		Infrastructure: []string{"github.com"},
		Plugins: []plugins.Status{
			{Name: "warden-agent-aider", State: plugins.StateRunning, AgentType: "aider", PID: 42},
			{Name: "warden-agent-gemini", State: plugins.StateFailed, Error: `invalid agent type "gemini": domains: invalid domain entry "bad..example"`},
			{Name: "warden-agent-flaky", State: plugins.StateRunning, AgentType: "flaky", Restarts: 3,
				LastExit: "exited after 500ms: panic: \x1b[31mboom\x1b[0m\nmore"},
		},
	}
	var out bytes.Buffer
	require.NoError(t, printPresets(&out, ps))
	s := out.String()
	require.Regexp(t, `agent +aider \(Aider\) from warden-agent-aider +openai.com openrouter.ai`, s)
	require.Regexp(t, `warden-agent-aider +running +aider +0 +-\n`, s)
	require.Regexp(t, `warden-agent-gemini +failed +- +0 +invalid agent type "gemini": domains: invalid domain entry "bad..example"`, s)
	require.Regexp(t, `warden-agent-flaky +running +flaky +3 +last exited after 500ms: panic:`, s)
	require.NotContains(t, s, "\x1b", "a plugin's output cannot drive the terminal")

	out.Reset()
	ps.Plugins = nil
	require.NoError(t, printPresets(&out, ps))
	require.NotContains(t, out.String(), "PLUGIN")
}
