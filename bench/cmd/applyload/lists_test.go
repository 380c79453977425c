package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListsAreValidAndDisjoint(t *testing.T) {
	cfg := defaultConfig()
	a, err := policy(cfg, 0).Validate()
	require.NoError(t, err)
	b, err := policy(cfg, 1).Validate()
	require.NoError(t, err)
	require.Len(t, a.Domains, cfg.Domains)
	added, removed := a.Diff(b)
	require.Len(t, added, cfg.Domains, "every apply must replace the whole list")
	require.Len(t, removed, cfg.Domains)
}

func TestHostsFile(t *testing.T) {
	cfg := defaultConfig()
	cfg.Domains = maxDomains
	lines := strings.Split(strings.TrimSpace(hostsFile(cfg)), "\n")
	require.Len(t, lines, 2*maxDomains)
	tests := []struct{ name, line string }{
		{"first of list a", "198.51.100.16 a000.apply.example"},
		{"last of list a", "198.51.100.245 a229.apply.example"},
		{"first of list b", "203.0.113.16 b000.apply.example"},
		{"last of list b", "203.0.113.245 b229.apply.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, lines, tt.line)
		})
	}
}
