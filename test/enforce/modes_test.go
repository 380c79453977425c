package enforce

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestPrivilegedModeNoneAllowsOnlyLoopbackAndHost(t *testing.T) {
	w := newWorld(t, shared.ModeNone, "github.com")

	_, err := w.lookup("github.com", dns.TypeA)
	require.ErrorContains(t, err, "REFUSED")
	require.False(t, w.Upstream.Asked("github.com."))
	require.Error(t, w.dialTCP("192.0.2.10"))
	require.Error(t, w.dialUDP("192.0.2.10"))
	require.Error(t, w.dialTCP("2001:db8:1::10"))

	require.NoError(t, w.dialTCP(gw4))
	require.NoError(t, w.dialTCP(gw6))
	addrs, err := w.lookup("host.docker.internal", dns.TypeA)
	require.NoError(t, err)
	require.Equal(t, []string{gw4}, addrs)
	addrs, err = w.lookup("localhost", dns.TypeA)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1"}, addrs)
}

func TestPrivilegedModeFullReachesEverything(t *testing.T) {
	w := newWorld(t, shared.ModeFull)

	addrs, err := w.lookup("blocked.example", dns.TypeA)
	require.NoError(t, err)
	require.Equal(t, []string{"192.0.2.20"}, addrs)
	require.NoError(t, w.dialTCP("192.0.2.20"))
	require.NoError(t, w.dialTCP(neverResolved))
	require.NoError(t, w.dialUDP(neverResolved))
	require.NoError(t, w.dialTCP("2001:db8:1::20"))
	require.NoError(t, w.dialTCP(gw4))
}
