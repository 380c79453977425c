package project

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

// TestBuildWithPluginType checks that a type a plugin registered is accepted
// and fills the allowlist with its own domains, and that the refusal of an
// unknown type lists what the registry holds.
func TestBuildWithPluginType(t *testing.T) {
	types := agent.NewRegistry()
	_, err := types.Add("warden-agent-aider", agent.Static(agent.Definition{
		Name: "aider", DisplayName: "Aider", Image: "warden-agent-aider:latest",
		Command: []string{"aider"}, HealthCheck: []string{"aider", "--version"},
		Domains: []string{"openai.com", "pypi.org"},
	}))
	require.NoError(t, err)

	s := validSpec(t)
	s.AgentType = "aider"
	s.Runtimes = nil
	p, err := s.Build(testID, testNow, types)
	require.NoError(t, err)
	require.Equal(t, "aider", p.AgentType)
	require.Contains(t, p.Domains, "openai.com")
	require.Contains(t, p.Domains, "pypi.org")
	require.Contains(t, p.Domains, "github.com", "the shared infrastructure too")
	require.NotContains(t, p.Domains, "anthropic.com")

	s.AgentType = "gemini-cli"
	_, err = s.Build(testID, testNow, types)
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "agentType", fe.Field)
	require.ErrorContains(t, err, "claude-code, codex, aider")

	_, err = validSpec(t).Build(testID, testNow, agent.NewRegistry())
	require.NoError(t, err, "built-in types need no plugin")
	s.AgentType = "aider"
	_, err = s.Build(testID, testNow, agent.NewRegistry())
	require.ErrorAs(t, err, &fe, "a type whose plugin is not loaded is unknown")
}
