package project

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		require.True(t, ValidID(id), id)
		require.False(t, seen[id], "ids repeat: %s", id)
		seen[id] = true
	}
}

// TestJSONRoundTrip checks that a project reads back equal after the store's
// encoding, empty lists included.
func TestJSONRoundTrip(t *testing.T) {
	for _, p := range []Project{
		build(t, nil),
		build(t, func(s *Spec) { s.Domains, s.Runtimes, s.Ports, s.Env = &[]string{}, nil, nil, nil }),
	} {
		data, err := json.Marshal(p)
		require.NoError(t, err)
		var back Project
		require.NoError(t, json.Unmarshal(data, &back))
		require.Equal(t, p, back)
	}
}

func TestPolicy(t *testing.T) {
	p := build(t, func(s *Spec) { s.Mode = shared.ModeNone; s.Domains = &[]string{"example.com"} })
	pol := p.Policy()
	require.Equal(t, shared.Policy{Mode: shared.ModeNone, Domains: []string{"example.com"}, HostAccess: shared.HostAll}, pol)
	pol.Domains[0] = "changed.example.com"
	require.Equal(t, "example.com", p.Domains[0], "the policy is a copy")
	_, err := pol.Validate()
	require.NoError(t, err)
	require.Equal(t, []string{}, Project{}.Policy().Domains, "never null on the wire")
}
