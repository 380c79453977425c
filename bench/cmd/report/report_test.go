package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFigures(t *testing.T) {
	figs, err := parseFigures(strings.NewReader("# comment\ndns_forward_qps 52000 qps dnsmasq 48000\n\nsidecar_idle_rss_mb 9.5 MB\n"))
	require.NoError(t, err)
	require.Len(t, figs, 2)
	require.Equal(t, "dnsmasq", figs[0].Peer)
	require.InDelta(t, 48000, *figs[0].PeerValue, 0)
	require.Nil(t, figs[1].PeerValue)

	for _, bad := range []string{"", "x 1\n", "x one qps\n", "x 1 qps dnsmasq many\n"} {
		_, err := parseFigures(strings.NewReader(bad))
		require.Error(t, err, "input %q", bad)
	}
}

func TestMarkdownTargets(t *testing.T) {
	figs, err := parseFigures(strings.NewReader(strings.Join([]string{
		"dns_forward_qps 50000 qps dnsmasq 40000",
		"dns_refused_qps 60000 qps",
		"dns_latency_p99_ms 0.4 ms dnsmasq 0.3",
		"policy_apply_ms 12 ms",
		"ipset_add_p99_ms 0.05 ms",
	}, "\n")))
	require.NoError(t, err)
	md := markdown(figs, []string{"a note"})
	tests := []struct{ name, row string }{
		{"relative to peer", "| dns_forward_qps | 50000 | qps | dnsmasq | 40000 | ≥ 1.0× dnsmasq | yes |"},
		{"relative to another figure", "| dns_refused_qps | 60000 | qps | — | — | ≥ 1.5× dns_forward_qps | no |"},
		{"limit met", "| dns_latency_p99_ms | 0.400 | ms | dnsmasq | 0.300 | < 1 ms | yes |"},
		{"limit missed", "| policy_apply_ms | 12.000 | ms | — | — | < 10 ms | no |"},
		{"no target", "| ipset_add_p99_ms | 0.050 | ms | — | — | — | — |"},
		{"note", "- a note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Contains(t, md, tt.row+"\n")
		})
	}
}
