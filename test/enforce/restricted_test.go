package enforce

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestPrivilegedRestrictedAllowsOnlyListedNames(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")

	t.Run("allowed name and subdomain resolve and connect", func(t *testing.T) {
		addrs, err := w.lookup("github.com", dns.TypeA)
		require.NoError(t, err)
		require.Equal(t, []string{"192.0.2.10"}, addrs)
		require.NoError(t, w.dialTCP("192.0.2.10"))
		require.ErrorIs(t, w.dialUDP("192.0.2.10"), syscall.EPERM, "UDP to an allowed address is refused: it carries no name to check")

		addrs, err = w.lookup("API.GitHub.com.", dns.TypeA)
		require.NoError(t, err)
		require.Equal(t, []string{"192.0.2.11"}, addrs)
		require.NoError(t, w.dialTCP("192.0.2.11"))
	})

	t.Run("allowed name over TCP DNS", func(t *testing.T) {
		in, err := w.resolve("github.com", dns.TypeA, net.JoinHostPort(dns4, "53"), "tcp")
		require.NoError(t, err)
		require.Equal(t, dns.RcodeSuccess, in.Rcode)
	})

	t.Run("CNAME chain target becomes reachable", func(t *testing.T) {
		require.Error(t, w.dialTCP("192.0.2.40"), "not reachable before it is resolved")
		addrs, err := w.lookup("www.github.com", dns.TypeA)
		require.NoError(t, err)
		require.Equal(t, []string{"192.0.2.40"}, addrs)
		require.NoError(t, w.dialTCP("192.0.2.40"))
	})

	t.Run("denied name is refused and never sent upstream", func(t *testing.T) {
		in, err := w.resolve("blocked.example", dns.TypeA, net.JoinHostPort(dns4, "53"), "udp")
		require.NoError(t, err)
		require.Equal(t, dns.RcodeRefused, in.Rcode)
		require.Equal(t, []uint16{dns.ExtendedErrorCodeBlocked}, edeCodes(in))
		for _, name := range []string{"evilgithub.com", "github.com.evil.net"} {
			in, err := w.resolve(name, dns.TypeA, net.JoinHostPort(dns4, "53"), "udp")
			require.NoError(t, err)
			require.Equal(t, dns.RcodeRefused, in.Rcode, name)
		}
		require.True(t, w.Upstream.Asked("github.com."), "the upstream sees allowed names")
		require.False(t, w.Upstream.Asked("blocked.example."))
		require.False(t, w.Upstream.Asked("evilgithub.com."))
		require.False(t, w.Upstream.Asked("github.com.evil.net."))
	})

	t.Run("address never resolved is unreachable", func(t *testing.T) {
		require.Error(t, w.dialTCP(neverResolved))
		require.Error(t, w.dialUDP(neverResolved))
		require.Error(t, w.dialTCP("192.0.2.20"))
	})

	t.Run("IPv6 follows the same policy", func(t *testing.T) {
		addrs, err := w.lookup("github.com", dns.TypeAAAA)
		require.NoError(t, err)
		require.Equal(t, []string{"2001:db8:1::10"}, addrs)
		require.NoError(t, w.dialTCP("2001:db8:1::10"))
		require.Error(t, w.dialTCP("2001:db8:1::20"))
		in, err := w.resolve("blocked.example", dns.TypeAAAA, net.JoinHostPort(dns6, "53"), "udp")
		require.NoError(t, err)
		require.Equal(t, dns.RcodeRefused, in.Rcode)
	})

	t.Run("host gateway is reachable", func(t *testing.T) {
		require.NoError(t, w.dialTCP(gw4))
		require.NoError(t, w.dialTCP(gw6))
		addrs, err := w.lookup("host.docker.internal", dns.TypeA)
		require.NoError(t, err)
		require.Equal(t, []string{gw4}, addrs)
	})

	t.Run("blocked attempts are recorded", func(t *testing.T) {
		var seenName, seenConn bool
		require.Eventually(t, func() bool {
			evs, err := w.Control.Events(context.Background(), 100)
			require.NoError(t, err)
			for _, e := range evs {
				seenName = seenName || e.Kind == shared.EventDNSRefused && e.Name == "blocked.example"
				seenConn = seenConn || e.Kind == shared.EventConnRejected && e.Address == neverResolved && e.Port == 7 && e.Protocol == "tcp"
			}
			return seenName && seenConn
		}, 3*time.Second, 50*time.Millisecond, "name event %v, connection event %v", seenName, seenConn)
	})

	t.Run("status reports the policy and counters", func(t *testing.T) {
		st, err := w.Control.Status(context.Background())
		require.NoError(t, err)
		require.True(t, st.Ready)
		require.Equal(t, shared.ModeRestricted, st.Mode)
		require.Equal(t, []string{"github.com"}, st.Domains)
		require.NotZero(t, st.DNS.Refused)
		require.NotZero(t, st.DNS.Forwarded)
		require.NotNil(t, st.LastApply)
		entries := 0
		for _, s := range st.Sets {
			entries += s.Entries
		}
		require.NotZero(t, entries)
	})
}

func TestPrivilegedZeroTTLIsNotPermanent(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "zero-ttl.example.org")
	_, err := w.lookup("zero-ttl.example.org", dns.TypeA)
	require.NoError(t, err)
	out := w.Agent.MustExec(t, "ipset", "list", "warden4")
	require.Contains(t, out, "192.0.2.60 timeout ")
	require.NotContains(t, out, "192.0.2.60 timeout 0\n")
}

func edeCodes(m *dns.Msg) []uint16 {
	var out []uint16
	if opt := m.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if e, ok := o.(*dns.EDNS0_EDE); ok {
				out = append(out, e.InfoCode)
			}
		}
	}
	return out
}
