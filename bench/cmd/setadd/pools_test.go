package main

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPoolsGiveDistinctDocumentationAddresses(t *testing.T) {
	doc := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
	}
	tests := []struct {
		name string
		pool *pool
	}{
		{"ipv4", v4Pool()},
		{"ipv6", v6Pool()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[netip.Addr]bool{}
			for {
				addrs, ok := tt.pool.take(4)
				if !ok {
					break
				}
				for _, a := range addrs {
					require.False(t, seen[a], "%s handed out twice", a)
					seen[a] = true
					inDoc := false
					for _, p := range doc {
						inDoc = inDoc || p.Contains(a)
					}
					require.True(t, inDoc, "%s is not a documentation address", a)
				}
			}
			require.Len(t, seen, 760, "762 addresses, handed out four at a time")
			tt.pool.reset()
			again, ok := tt.pool.take(1)
			require.True(t, ok)
			require.True(t, seen[again[0]])
		})
	}
}
