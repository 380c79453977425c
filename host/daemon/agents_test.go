package daemon

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
)

// TestPluginTypeInPresetsAndCreate: a type in the daemon's registry is
// listed by Presets with its plugin, and a project of that type gets its
// domains.
func TestPluginTypeInPresetsAndCreate(t *testing.T) {
	env := newTestEnv(t)
	_, err := env.d.agents.Add("warden-agent-aider", agent.Static(agent.Definition{
		Name: "aider", DisplayName: "Aider", Image: "warden-agent-aider:latest",
		Command: []string{"aider"}, HealthCheck: []string{"aider", "--version"},
		Domains: []string{"openai.com", "openrouter.ai"},
	}))
	require.NoError(t, err)

	ps := env.d.Presets()
	require.Len(t, ps.Agents, 3)
	require.Equal(t, "aider", ps.Agents[2].Name)
	require.Equal(t, "warden-agent-aider", ps.Agents[2].Plugin)
	require.Empty(t, ps.Agents[0].Plugin, "built in")
	b, err := json.Marshal(ps)
	require.NoError(t, err)
	require.Contains(t, string(b), `"plugins":[]`, "an empty list, not null, without plugins")
	require.Contains(t, string(b), `"name":"aider"`, "the definition's fields at the entry's top level")

	p, err := env.d.Create(context.Background(), project.Spec{Name: "chat", Workspace: t.TempDir(), AgentType: "aider"})
	require.NoError(t, err)
	require.Contains(t, p.Domains, "openrouter.ai")
	require.NotContains(t, p.Domains, "anthropic.com")

	_, err = env.d.Create(context.Background(), project.Spec{Name: "x", Workspace: t.TempDir(), AgentType: "gemini-cli"})
	var fe *project.FieldError
	require.ErrorAs(t, err, &fe)
	require.ErrorContains(t, err, "claude-code, codex, aider")
}
