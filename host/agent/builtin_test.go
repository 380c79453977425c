package agent

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestBuiltinsAreValid holds the built-in definitions to the rules every
// plugin meets: a name usable in preview URLs, canonical domains, folders
// inside the agent's home.
func TestBuiltinsAreValid(t *testing.T) {
	require.Len(t, Builtins(), 2)
	for _, bt := range Builtins() {
		d, err := bt.Definition()
		require.NoError(t, err)
		t.Run(d.Name, func(t *testing.T) {
			checked, err := Check(d)
			require.NoError(t, err)
			require.Equal(t, d, checked, "already canonical")
			require.True(t, ValidName(d.Name))
			require.Equal(t, DefaultImage(d.Name), d.Image)
			require.NotEmpty(t, d.Domains)
			for _, dom := range d.Domains {
				got, err := shared.ParseDomain(dom)
				require.NoError(t, err)
				require.Equal(t, shared.Domain(dom), got, "entry is canonical")
			}
			require.NotEmpty(t, d.ConfigFolders, "a login must survive recreation")
			for _, f := range d.ConfigFolders {
				require.Regexp(t, `^/home/agent/\.`, f, "the images' user is agent")
			}
			require.Equal(t, d.Command[0], d.HealthCheck[0], "the health check runs the agent's own program")
		})
	}
}

// TestBuiltinsPointTheAgentAtItsFolders checks that each built-in tells its
// CLI to keep everything in the folder that survives recreation.
func TestBuiltinsPointTheAgentAtItsFolders(t *testing.T) {
	r := NewRegistry()
	cc, ok := r.Lookup("claude-code")
	require.True(t, ok)
	require.Equal(t, "/home/agent/.claude", cc.Env["CLAUDE_CONFIG_DIR"])
	require.Contains(t, cc.ConfigFolders, cc.Env["CLAUDE_CONFIG_DIR"])
	cx, ok := r.Lookup("codex")
	require.True(t, ok)
	require.Contains(t, cx.ConfigFolders, cx.Env["CODEX_HOME"])
}
