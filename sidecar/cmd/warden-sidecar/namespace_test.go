package main

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/sidecar/engine"
	"github.com/warden-sh/warden/sidecar/relay"
)

func TestNamespaceRefusesTheSidecarsPorts(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.DNS.Listen = []string{"127.0.0.1:5353", "[::1]:5353"}
	ns := newNamespace(cfg)
	require.Equal(t, []int{5353, 5353}, ns.Own)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("127.0.0.11")}, ns.Hide)
	_, err := ns.DialLoopback(context.Background(), 5353)
	require.ErrorIs(t, err, relay.ErrRefusedPort)
}
