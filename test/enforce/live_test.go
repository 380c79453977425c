package enforce

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

func TestPrivilegedLiveEditKeepsOpenConnections(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com", "other.example.org")
	_, err := w.lookup("github.com", dns.TypeA)
	require.NoError(t, err)
	open, err := w.openTCP("192.0.2.10")
	require.NoError(t, err)
	defer open.Close()
	require.NoError(t, open.roundTrip("before"))

	res := w.SetPolicy(shared.ModeRestricted, "other.example.org")
	require.Empty(t, res.Error)

	require.NoError(t, open.roundTrip("after"), "an open connection outlives the removal")
	require.Error(t, w.dialTCP("192.0.2.10"), "a new connection to the removed name fails at once")
	_, err = w.lookup("github.com", dns.TypeA)
	require.ErrorContains(t, err, "REFUSED")

	t.Run("an added name works at once", func(t *testing.T) {
		w.SetPolicy(shared.ModeRestricted, "other.example.org", "api.github.com")
		addrs, err := w.lookup("api.github.com", dns.TypeA)
		require.NoError(t, err)
		require.NoError(t, w.dialTCP(addrs[0]))
	})

	t.Run("an added exact entry is resolved by the sidecar", func(t *testing.T) {
		w.SetPolicy(shared.ModeRestricted, "other.example.org", "api.github.com", "github.com")
		// No lookup by the agent: a tool that cached the address keeps working.
		require.Eventually(t, func() bool { return w.dialTCP("192.0.2.10") == nil }, 3*time.Second, 20*time.Millisecond)
	})
}

func TestPrivilegedLiveModeSwitch(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "other.example.org")
	_, err := w.lookup("other.example.org", dns.TypeA)
	require.NoError(t, err)
	require.NoError(t, w.dialTCP("192.0.2.50"))
	require.Error(t, w.dialTCP(neverResolved))

	w.SetPolicy(shared.ModeNone, "other.example.org")
	require.Error(t, w.dialTCP("192.0.2.50"), "none: allowed names are cut")
	require.NoError(t, w.dialTCP(gw4))

	w.SetPolicy(shared.ModeFull, "other.example.org")
	require.NoError(t, w.dialTCP(neverResolved), "full: everything")
	require.NoError(t, w.dialTCP("2001:db8:1::20"))

	w.SetPolicy(shared.ModeRestricted, "other.example.org")
	require.Error(t, w.dialTCP(neverResolved), "restricted again")
	_, err = w.lookup("other.example.org", dns.TypeA)
	require.NoError(t, err)
	require.NoError(t, w.dialTCP("192.0.2.50"))
}

func TestPrivilegedSharedAddressStaysWhileEitherNameAllowed(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "shared-a.example.net", "shared-b.example.org")
	for _, name := range []string{"shared-a.example.net", "shared-b.example.org"} {
		addrs, err := w.lookup(name, dns.TypeA)
		require.NoError(t, err)
		require.Equal(t, []string{"192.0.2.30"}, addrs)
	}
	w.SetPolicy(shared.ModeRestricted, "shared-b.example.org")
	require.NoError(t, w.dialTCP("192.0.2.30"), "still held by shared-b")
	w.SetPolicy(shared.ModeRestricted, "other.example.org")
	require.Error(t, w.dialTCP("192.0.2.30"), "held by nobody")
}

func TestPrivilegedBadPolicyChangesNothing(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")
	for _, p := range []shared.Policy{
		{Mode: "restricted", Domains: []string{"github.com", "https://evil.example"}},
		{Mode: "restricted", Domains: []string{"com"}},
		{Mode: "open", Domains: []string{}},
	} {
		_, err := w.Control.PutPolicy(context.Background(), p)
		require.ErrorIs(t, err, control.ErrBadPolicy)
	}
	st, err := w.Control.Status(context.Background())
	require.NoError(t, err)
	require.Equal(t, shared.ModeRestricted, st.Mode)
	require.Equal(t, []string{"github.com"}, st.Domains)
	_, err = w.lookup("github.com", dns.TypeA)
	require.NoError(t, err)
}
