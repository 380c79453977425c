package presets

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/sharedsuffix"
	"github.com/warden-sh/warden/shared"
)

// TestEveryDomainIsCanonical holds the data to what a user could type: each
// entry passes shared.ParseDomain, is already in canonical form and has no
// public suffix under it. The agent types' domains are checked in
// host/agent.
func TestEveryDomainIsCanonical(t *testing.T) {
	all := map[string][]string{"infrastructure": Infrastructure()}
	for name, domains := range Runtimes() {
		all["runtime "+name] = domains
	}
	for owner, domains := range all {
		require.NotEmpty(t, domains, owner)
		for _, d := range domains {
			t.Run(owner+"/"+d, func(t *testing.T) {
				got, err := shared.ParseDomain(d)
				require.NoError(t, err)
				require.Equal(t, shared.Domain(d), got, "entry is canonical")
				suffix, covers := sharedsuffix.Covered(got)
				require.False(t, covers, "a new project would be refused: %s has the public suffix %s under it", d, suffix)
			})
		}
	}
}

func TestDomains(t *testing.T) {
	claude := []string{"anthropic.com", "claude.ai", "claude.com"}
	codex := []string{"chatgpt.com", "openai.com"}
	tests := []struct {
		name     string
		agent    []string
		runtimes []string
		has      []string
		hasNot   []string
	}{
		{
			name:     "claude code with node",
			agent:    claude,
			runtimes: []string{"node"},
			has:      []string{"anthropic.com", "github.com", "raw.githubusercontent.com", "archive.ubuntu.com", "npmjs.org", "npmjs.com", "yarnpkg.com"},
			hasNot:   []string{"openai.com", "pypi.org"},
		},
		{
			name:     "codex with python and go",
			agent:    codex,
			runtimes: []string{"python", "go"},
			has:      []string{"openai.com", "chatgpt.com", "github.com", "pypi.org", "pythonhosted.org", "proxy.golang.org", "sum.golang.org"},
			hasNot:   []string{"anthropic.com", "npmjs.org"},
		},
		{
			name:     "every runtime",
			agent:    claude,
			runtimes: RuntimeNames(),
			has:      []string{"crates.io", "rubygems.org", "repo.maven.apache.org", "gradle.org"},
		},
		{
			name:   "no runtimes: agent and infrastructure",
			agent:  codex,
			has:    []string{"openai.com", "github.com", "security.ubuntu.com", "ports.ubuntu.com"},
			hasNot: []string{"npmjs.org"},
		},
		{
			name:     "an agent sharing an infrastructure domain",
			agent:    []string{"github.com", "pypi.org"},
			runtimes: []string{"python"},
			has:      []string{"github.com", "pypi.org"},
		},
		{
			name:     "unknown runtimes add nothing",
			runtimes: []string{"cobol"},
			has:      Infrastructure(),
			hasNot:   []string{"anthropic.com", "openai.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Domains(tt.agent, tt.runtimes)
			for _, d := range tt.has {
				require.Contains(t, got, d)
			}
			for _, d := range tt.hasNot {
				require.NotContains(t, got, d)
			}
			require.True(t, slices.IsSorted(got), "sorted: %v", got)
			require.Len(t, slices.Compact(slices.Clone(got)), len(got), "no duplicates: %v", got)
			canon, err := shared.ParseDomains(got)
			require.NoError(t, err)
			require.Len(t, canon, len(got), "canonical and distinct")
		})
	}
}

func TestDomainsDeduplicatesRepeatedRuntime(t *testing.T) {
	codex := []string{"chatgpt.com", "openai.com"}
	require.Equal(t, Domains(codex, []string{"node"}), Domains(codex, []string{"node", "node"}))
}

func TestNames(t *testing.T) {
	require.Equal(t, []string{"go", "java", "node", "python", "ruby", "rust"}, RuntimeNames())
}

// TestCopies checks that callers cannot change the preset data.
func TestCopies(t *testing.T) {
	agentDomains := []string{"anthropic.com"}
	Runtimes()["node"][0] = "changed.example.com"
	Infrastructure()[0] = "changed.example.com"
	Domains(agentDomains, []string{"node"})[0] = "changed.example.com"

	require.Equal(t, []string{"anthropic.com"}, agentDomains)
	for _, d := range Domains(agentDomains, RuntimeNames()) {
		require.NotEqual(t, "changed.example.com", d)
	}
}
