package addrset

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"192.0.2.1", true}, // documentation ranges stand in for the internet in tests
		{"198.51.100.7", true},
		{"203.0.113.200", true},
		{"2001:db8::1", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"172.32.0.1", true},  // just past 172.16/12
		{"100.128.0.1", true}, // just past 100.64/10
		{"223.255.255.255", true},

		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.1.2.3", false},
		{"100.64.0.1", false},
		{"100.100.100.200", false}, // a cloud metadata address in CGNAT space
		{"127.0.0.1", false},
		{"127.0.0.11", false},
		{"169.254.1.1", false},
		{"169.254.169.254", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"224.0.0.251", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},

		{"::", false},
		{"::1", false},
		{"::10.0.0.1", false},      // IPv4-compatible
		{"::8.8.8.8", false},       // IPv4-compatible, even of a public address
		{"::ffff:10.0.0.1", false}, // IPv4-mapped
		{"::ffff:8.8.8.8", false},  // mapped form is never a set member
		{"64:ff9b::a00:1", false},  // NAT64 of 10.0.0.1
		{"64:ff9b:1::1", false},    // local NAT64
		{"2001::1", false},         // Teredo
		{"2002:a00:1::1", false},   // 6to4 of 10.0.0.1
		{"fc00::1", false},         // unique local
		{"fd00:ec2::254", false},   // AWS metadata over IPv6
		{"fe80::1", false},         // link-local
		{"fe80::1%eth0", false},    // zoned link-local
		{"fec0::1", false},         // site-local
		{"ff02::1", false},         // multicast
		{"2001:db8::1%eth0", true}, // the zone does not change the address
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			require.Equal(t, tt.want, IsPublic(netip.MustParseAddr(tt.addr)))
		})
	}
	t.Run("invalid", func(t *testing.T) {
		require.False(t, IsPublic(netip.Addr{}))
	})
}
