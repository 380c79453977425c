package agent

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

type failing struct{ err error }

func (f failing) Definition() (Definition, error) { return Definition{}, f.err }

func TestRegistryBuiltins(t *testing.T) {
	r := NewRegistry()
	require.Equal(t, []string{"claude-code", "codex"}, r.Names())
	d, ok := r.Lookup("codex")
	require.True(t, ok)
	require.Equal(t, "Codex", d.DisplayName)
	_, ok = r.Lookup("Codex")
	require.False(t, ok, "names are exact")
	for _, e := range r.List() {
		require.Empty(t, e.Plugin, "built in")
	}
}

func TestRegistryPlugins(t *testing.T) {
	r := NewRegistry()
	d, err := r.Add("warden-agent-aider", Static(validDefinition()))
	require.NoError(t, err)
	require.Equal(t, []string{"anthropic.com", "openai.com"}, d.Domains, "stored checked")
	require.Equal(t, []string{"claude-code", "codex", "aider"}, r.Names(), "built-ins first")

	got, ok := r.Lookup("aider")
	require.True(t, ok)
	require.Equal(t, "Aider", got.DisplayName)
	require.Equal(t, "warden-agent-aider", r.List()[2].Plugin)

	t.Run("a built-in name is refused", func(t *testing.T) {
		cc := validDefinition()
		cc.Name = "claude-code"
		_, err := r.Add("warden-agent-fake", Static(cc))
		require.ErrorContains(t, err, `"claude-code" is built in`)
		got, _ := r.Lookup("claude-code")
		require.Equal(t, "Claude Code", got.DisplayName)
	})
	t.Run("another plugin's name is refused", func(t *testing.T) {
		_, err := r.Add("warden-agent-copy", Static(validDefinition()))
		require.ErrorContains(t, err, "already defined by plugin warden-agent-aider")
	})
	t.Run("an invalid definition is refused", func(t *testing.T) {
		bad := validDefinition()
		bad.Name, bad.Domains = "gemini", []string{"bad..example"}
		_, err := r.Add("warden-agent-gemini", Static(bad))
		require.ErrorIs(t, err, ErrInvalid)
		_, ok := r.Lookup("gemini")
		require.False(t, ok)
	})
	t.Run("a failing type is refused", func(t *testing.T) {
		_, err := r.Add("warden-agent-broken", failing{errors.New("connection shut down")})
		require.ErrorContains(t, err, "connection shut down")
	})
	t.Run("a plugin may rename its type", func(t *testing.T) {
		renamed := validDefinition()
		renamed.Name = "aider-chat"
		_, err := r.Add("warden-agent-aider", Static(renamed))
		require.NoError(t, err)
		_, ok := r.Lookup("aider")
		require.False(t, ok)
		_, ok = r.Lookup("aider-chat")
		require.True(t, ok)
	})
	r.Remove("warden-agent-aider")
	r.Remove("never-there")
	require.Equal(t, []string{"claude-code", "codex"}, r.Names())
}

func TestRegistryCopies(t *testing.T) {
	r := NewRegistry()
	d, _ := r.Lookup("claude-code")
	d.Domains[0] = "changed.example.com"
	d.Env["CLAUDE_CONFIG_DIR"] = "/tmp"
	again, _ := r.Lookup("claude-code")
	require.NotEqual(t, "changed.example.com", again.Domains[0])
	require.Equal(t, "/home/agent/.claude", again.Env["CLAUDE_CONFIG_DIR"])
}
