package kube

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestKubeOpenConnectionSurvivesEdit holds one connection open from the
// agent to solo.test's own address while the policy changes under it, as
// the Docker suite does (TestDockerLiveEditKeepsOpenConnections,
// TestDockerKillSwitch and the enforce suite's mode switches): an unrelated
// edit and the removal of its own name leave it open while a new connection
// to the removed name is refused; loosening the mode (restricted to full)
// cuts nothing; tightening it (full to none) cuts it within a second; and
// back in restricted the allowed name works again.
func TestKubeOpenConnectionSurvivesEdit(t *testing.T) {
	getExtras(t)
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test", "solo.test")
	e.start(t, p)
	solo := soloAddr + ":7"
	if r := e.probe(t, p.ID, "agent", "resolve", "solo.test"); !r.OK {
		t.Fatalf("resolving solo.test: %+v", r)
	}
	before := e.exec(t, p.ID, "agent", "cat", "/proc/1/stat")

	t.Run("edits keep it open", func(t *testing.T) {
		held := e.hold(t, p.ID, solo, 120, 100*time.Millisecond)
		e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "solo.test", "added.test"}})
		if r := e.reach(t, p.ID, "added.test"); !r.OK || r.Status != 200 {
			t.Fatalf("added.test not reached after it was added: %+v", r)
		}
		res := e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "added.test"}})
		require.Zero(t, res.Cut, "removing a name without cut cuts nothing")
		if r := e.probe(t, p.ID, "agent", "tcp", solo, "-send", "hi"); r.OK {
			t.Fatalf("a new connection to the removed name's address got through: %+v", r)
		}
		if r := e.probe(t, p.ID, "agent", "resolve", "solo.test"); r.OK || r.Rcode != "REFUSED" {
			t.Fatalf("the removed name still resolves: %+v", r)
		}
		select {
		case r := <-held:
			t.Fatalf("the held connection ended before the edits were over (make it longer): %+v", r)
		default:
		}
		r := <-held
		require.True(t, r.OK, "the open connection broke: %+v", r)
		require.Equal(t, 120, r.Rounds)
	})

	t.Run("loosening the mode cuts nothing, tightening cuts", func(t *testing.T) {
		e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "solo.test"}})
		if r := e.probe(t, p.ID, "agent", "resolve", "solo.test"); !r.OK {
			t.Fatalf("resolving solo.test once allowed again: %+v", r)
		}
		held := e.hold(t, p.ID, solo, 400, 50*time.Millisecond)
		res := e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeFull, Domains: []string{"allowed.test", "solo.test"}})
		require.Zero(t, res.Cut, "restricted to full cuts nothing")
		if r := e.reach(t, p.ID, "other.test"); !r.OK {
			t.Fatalf("full mode does not reach other.test: %+v", r)
		}
		select {
		case r := <-held:
			t.Fatalf("the held connection ended after a loosening switch: %+v", r)
		default:
		}
		res = e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeNone, Domains: []string{"allowed.test", "solo.test"}})
		require.GreaterOrEqual(t, res.Cut, 1, "full to none cuts the open connection")
		start := time.Now()
		select {
		case r := <-held:
			t.Logf("the held connection ended %s after the switch to none returned: %s", time.Since(start), r.Error)
			require.False(t, r.OK)
			require.Less(t, r.Rounds, 400)
		case <-time.After(time.Second):
			t.Fatalf("the held connection is still open a second after the switch to none")
		}
		if r := e.probe(t, p.ID, "agent", "tcp", solo, "-send", "hi"); r.OK {
			t.Fatalf("none mode let a new connection through: %+v", r)
		}

		e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "solo.test"}})
		if r := e.probe(t, p.ID, "agent", "resolve", "solo.test"); !r.OK {
			t.Fatalf("back in restricted, solo.test does not resolve: %+v", r)
		}
		if r := e.probe(t, p.ID, "agent", "tcp", solo, "-send", "hi"); !r.OK {
			t.Fatalf("back in restricted, solo.test is not reached: %+v", r)
		}
		if r := e.reach(t, p.ID, "other.test"); r.OK {
			t.Fatalf("back in restricted, other.test is reached: %+v", r)
		}
	})

	if after := e.exec(t, p.ID, "agent", "cat", "/proc/1/stat"); after != before {
		t.Fatalf("the edits restarted the agent")
	}
}

// hold opens one connection from the agent to addr that round-trips a line
// every interval, waits until the agent's socket table shows it
// established, and returns a channel that yields the probe's result when
// the connection ends.
func (e *env) hold(t *testing.T, id, addr string, rounds int, interval time.Duration) <-chan probeResult {
	t.Helper()
	out := e.background(t, id, "agent", "probe", "hold", addr, "-rounds", fmt.Sprint(rounds), "-interval", interval.String())
	held := make(chan probeResult, 1)
	go func() {
		text := <-out
		var r probeResult
		if err := jsonUnmarshal(strings.TrimSpace(text), &r); err != nil {
			r.Error = "probe printed " + text
		}
		held <- r
	}()
	ap := netip.MustParseAddrPort(addr)
	a := ap.Addr().As4()
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X 01", a[3], a[2], a[1], a[0], ap.Port()) // 01: established
	require.Eventually(t, func() bool {
		return strings.Contains(e.exec(t, id, "agent", "cat", "/proc/net/tcp"), want)
	}, 20*time.Second, 100*time.Millisecond, "the held connection to %s never showed up", addr)
	return held
}
