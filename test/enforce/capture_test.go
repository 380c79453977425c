package enforce

import (
	"net"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestPrivilegedDNSToAnyResolverIsCapturedOrDropped(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")

	for _, server := range []string{
		net.JoinHostPort(neverResolved, "53"), // a resolver the agent picked itself
		"127.0.0.11:53",                       // Docker's embedded resolver
		net.JoinHostPort("2001:db8:1::20", "53"),
		net.JoinHostPort(gw4, "53"), // the host
	} {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(network+" "+server, func(t *testing.T) {
				in, err := w.resolve("github.com", dns.TypeA, server, network)
				require.NoError(t, err, "the filter answers in the resolver's place")
				require.Equal(t, dns.RcodeSuccess, in.Rcode)
				in, err = w.resolve("blocked.example", dns.TypeA, server, network)
				require.NoError(t, err)
				require.Equal(t, dns.RcodeRefused, in.Rcode)
			})
		}
	}

	t.Run("Docker's resolver on another port is unreachable", func(t *testing.T) {
		_, err := w.resolve("blocked.example", dns.TypeA, "127.0.0.11:5353", "udp")
		require.Error(t, err)
		_, err = w.resolve("blocked.example", dns.TypeA, "127.0.0.11:5353", "tcp")
		require.Error(t, err)
	})
	require.Zero(t, w.DockerDNS.Count(), "no unmarked query reached 127.0.0.11")

	t.Run("DNS to a non-standard port is dropped", func(t *testing.T) {
		_, err := w.resolve("blocked.example", dns.TypeA, net.JoinHostPort(neverResolved, "5353"), "udp")
		require.Error(t, err)
	})
	require.False(t, w.Upstream.Asked("blocked.example."))
}
