package project

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzWardenFile checks that parsing .warden.json never panics and that
// whatever it accepts is a sorted list of distinct valid ports.
func FuzzWardenFile(f *testing.F) {
	for _, seed := range []string{
		`{"forwardedPorts":[5173,3000]}`,
		`{"forwardedPorts":[]}`,
		`{"forwardedPorts":null,"x":1}`,
		`{"forwardedPorts":[0,65536,-1]}`,
		`{"forwardedPorts":[3000,3000]}`,
		`{"forwardedPorts":[1e3, 2.5, "80", true, null, {}]}`,
		`{"forwardedPorts":{"a":1}}`,
		`{"FORWARDEDPORTS":[1]}`,
		`{"forwardedPorts":[1]} trailing`,
		"{\n\"forwardedPorts\": [\n",
		`[]`, `null`, ``, "\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ports, err := parseWardenFile(data)
		if err != nil {
			require.Nil(t, ports)
			require.NotEmpty(t, err.Error())
			return
		}
		require.True(t, slices.IsSorted(ports), "sorted: %v", ports)
		for i, p := range ports {
			require.True(t, p >= 1 && p <= 65535, "port %d in range", p)
			if i > 0 {
				require.NotEqual(t, ports[i-1], p, "distinct")
			}
		}
	})
}

// FuzzSpec decodes a create body as the API would and builds it. Building
// never panics, and an accepted project is canonical: building it again
// from its own settings gives the same project.
func FuzzSpec(f *testing.F) {
	for _, seed := range []string{
		`{"name":"web","agentType":"claude-code","runtimes":["node"]}`,
		`{"name":"w","agentType":"codex","mode":"none","domains":["*.GitHub.com.","bücher.example"],"ports":[3000,5173]}`,
		`{"name":"w","agentType":"codex","domains":[]}`,
		`{"name":"w","agentType":"codex","domains":["https://x.example","co.uk","192.0.2.1"]}`,
		`{"name":"w","agentType":"codex","ports":[0,65536,80,80]}`,
		`{"name":"w","agentType":"codex","env":{"A":"1","1B":"x"},"image":"Bad Image"}`,
		`{"name":"\u0000","agentType":"x","mode":"open","runtimes":["cobol"]}`,
		`{"name":"w","workspace":"relative","agentType":"codex"}`,
		`{"name":"w","agentType":"codex","domains":["github.com","!Gist.GitHub.com","!!x.com"]}`,
		`{"name":"w","agentType":"codex","domains":["amazonaws.com"]}`,
		`{"name":"w","agentType":"codex","domains":["amazonaws.com","!s3.amazonaws.com"],"allowSharedSuffixes":true}`,
	} {
		f.Add([]byte(seed))
	}
	ws := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		var s Spec
		if json.Unmarshal(body, &s) != nil {
			return
		}
		if s.Workspace == "" {
			s.Workspace = ws
		}
		p, err := s.Build(testID, testNow, testTypes)
		if err != nil {
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			return
		}
		again, err := Spec{
			Name: p.Name, Workspace: p.Workspace, AgentType: p.AgentType,
			Runtimes: p.Runtimes, Mode: p.Mode, Domains: &p.Domains,
			Ports: p.Ports, Image: p.Image, Env: p.Env, AllowSharedSuffixes: s.AllowSharedSuffixes,
		}.Build(p.ID, p.CreatedAt, testTypes)
		require.NoError(t, err)
		require.Equal(t, p, again)
		_, err = p.Policy().Validate()
		require.NoError(t, err)
	})
}
