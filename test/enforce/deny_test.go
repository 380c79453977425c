package enforce

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// The user allows github.com but not gist.github.com, where the agent could
// post the workspace. The real sidecar, in its namespace, refuses the
// denied name and every name under it, never sends them upstream and never
// resolves the deny entry itself, while github.com keeps working.
func TestPrivilegedDenyEntryBeatsItsParent(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com", "!gist.github.com")

	for _, name := range []string{"gist.github.com", "raw.gist.github.com", "GIST.GitHub.com."} {
		for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
			_, err := w.lookup(name, qtype)
			require.ErrorContains(t, err, "REFUSED", "%s %s", name, dns.TypeToString[qtype])
		}
	}
	addrs, err := w.lookup("api.github.com", dns.TypeA)
	require.NoError(t, err, "the parent's other names still resolve")
	require.Equal(t, []string{"192.0.2.11"}, addrs)
	require.NoError(t, w.dialTCP("192.0.2.11"))
	require.Error(t, w.dialTCP("192.0.2.12"), "the denied name's address was never let in")
	require.Error(t, w.dialTCP("2001:db8:1::12"))
	// The exact entry github.com is resolved in the background; wait for
	// it, then check that the deny entry was not.
	require.Eventually(t, func() bool { return w.Upstream.Asked("github.com.") }, 3*time.Second, 20*time.Millisecond)
	for _, q := range w.Upstream.Questions() {
		require.NotContains(t, strings.ToLower(q), "gist", "a denied name went upstream")
	}

	st, err := w.Control.Status(context.Background())
	require.NoError(t, err)
	require.Equal(t, []string{"!gist.github.com", "github.com"}, st.Domains)
	require.Eventually(t, func() bool {
		evs, err := w.Control.Events(context.Background(), 100)
		require.NoError(t, err)
		for _, e := range evs {
			if e.Kind == shared.EventDNSRefused && e.Name == "raw.gist.github.com" {
				return true
			}
		}
		return false
	}, 3*time.Second, 50*time.Millisecond, "the refusal is recorded")

	// Without the deny entry, github.com alone lets the agent reach gist:
	// what the entry is there to stop.
	res := w.SetPolicy(shared.ModeRestricted, "github.com")
	require.Empty(t, res.Error)
	addrs, err = w.lookup("gist.github.com", dns.TypeA)
	require.NoError(t, err)
	require.Equal(t, []string{"192.0.2.12"}, addrs)
	require.NoError(t, w.dialTCP("192.0.2.12"))

	// Put back live, it refuses the next question at once.
	res = w.SetPolicy(shared.ModeRestricted, "github.com", "!gist.github.com")
	require.Empty(t, res.Error)
	_, err = w.lookup("raw.gist.github.com", dns.TypeA)
	require.ErrorContains(t, err, "REFUSED")
	_, err = w.lookup("github.com", dns.TypeA)
	require.NoError(t, err)
}
