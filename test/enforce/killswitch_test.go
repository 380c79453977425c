package enforce

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// cutPolicy pushes a policy that asks for the connections to removed names
// to be cut.
func (w *World) cutPolicy(mode shared.Mode, domains ...string) shared.ApplyResult {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.Control.PutPolicy(ctx, shared.Policy{Mode: mode, Domains: domains, Cut: true})
	require.NoError(w.t, err)
	require.Empty(w.t, res.Error)
	return res
}

// diesWithin round-trips on c until it fails, and fails the test when it
// still works after d.
func diesWithin(t *testing.T, c *echoConn, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for c.roundTrip("still there?") == nil {
		require.Less(t, time.Since(start), d, "the connection is still open")
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func TestPrivilegedTighteningTheModeCutsOpenConnections(t *testing.T) {
	for _, tc := range []struct {
		from, to shared.Mode
	}{
		{shared.ModeFull, shared.ModeNone},
		{shared.ModeFull, shared.ModeRestricted},
		{shared.ModeRestricted, shared.ModeNone},
	} {
		t.Run(string(tc.from)+" to "+string(tc.to), func(t *testing.T) {
			w := newWorld(t, tc.from, "github.com")
			target := neverResolved
			if tc.from == shared.ModeRestricted {
				_, err := w.lookup("github.com", dns.TypeA)
				require.NoError(t, err)
				target = "192.0.2.10"
			}
			out, err := w.openTCP(target)
			require.NoError(t, err)
			defer out.Close()
			require.NoError(t, out.roundTrip("before"))
			host, err := w.openTCP(gw4)
			require.NoError(t, err)
			defer host.Close()
			require.NoError(t, host.roundTrip("before"))

			res := w.SetPolicy(tc.to, "github.com")
			require.Empty(t, res.Error)
			require.GreaterOrEqual(t, res.Cut, 1)
			took := diesWithin(t, out, time.Second)
			t.Logf("%s -> %s: %d cut; the held connection failed %s after the switch returned", tc.from, tc.to, res.Cut, took)
			require.NoError(t, host.roundTrip("after"), "the host stays reachable, and so do open connections to it")
		})
	}
}

func TestPrivilegedLooseningTheModeCutsNothing(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")
	_, err := w.lookup("github.com", dns.TypeA)
	require.NoError(t, err)
	c, err := w.openTCP("192.0.2.10")
	require.NoError(t, err)
	defer c.Close()
	res := w.SetPolicy(shared.ModeFull, "github.com")
	require.Zero(t, res.Cut)
	require.NoError(t, c.roundTrip("after"))
}

func TestPrivilegedRemovedNameKeepsItsConnectionUnlessCut(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com", "other.example.org")
	for _, name := range []string{"github.com", "other.example.org"} {
		_, err := w.lookup(name, dns.TypeA)
		require.NoError(t, err)
	}
	other, err := w.openTCP("192.0.2.50")
	require.NoError(t, err)
	defer other.Close()

	kept, err := w.openTCP("192.0.2.10")
	require.NoError(t, err)
	defer kept.Close()
	res := w.SetPolicy(shared.ModeRestricted, "other.example.org")
	require.Zero(t, res.Cut)
	require.NoError(t, kept.roundTrip("after"), "without cut, the open connection stays")

	w.SetPolicy(shared.ModeRestricted, "github.com", "other.example.org")
	_, err = w.lookup("github.com", dns.TypeA)
	require.NoError(t, err)
	cut, err := w.openTCP("192.0.2.10")
	require.NoError(t, err)
	defer cut.Close()
	require.NoError(t, cut.roundTrip("before"))
	res = w.cutPolicy(shared.ModeRestricted, "other.example.org")
	require.GreaterOrEqual(t, res.Cut, 1)
	diesWithin(t, cut, time.Second)
	require.NoError(t, other.roundTrip("after"), "a kept name's connection stays")
}
