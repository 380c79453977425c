package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// holdOpen runs the probe's hold in the agent: one connection that round-
// trips a line every 50 ms for up to 20 s. The result arrives when the
// connection ends, by error or after every round.
func holdOpen(t *testing.T, w *world, id, addr string, rounds string) <-chan probeResult {
	t.Helper()
	held := make(chan probeResult, 1)
	go func() {
		out, _, _ := w.cli("exec", id, "--", "probe", "hold", addr, "-rounds", rounds, "-interval", "50ms")
		var r probeResult
		_ = jsonUnmarshal(out, &r)
		held <- r
	}()
	waitForConnection(t, w, id)
	return held
}

// diesWithin waits for a held connection to end, failing the test when it
// is still open after d.
func diesWithin(t *testing.T, held <-chan probeResult, d time.Duration) probeResult {
	t.Helper()
	start := time.Now()
	select {
	case r := <-held:
		t.Logf("the held connection ended %s after the change returned: %s", time.Since(start), r.Error)
		return r
	case <-time.After(d):
		t.Fatalf("the held connection is still open %s after the change", d)
		return probeResult{}
	}
}

func TestDockerKillSwitch(t *testing.T) {
	w := newWorld(t)

	t.Run("a connection held through full dies within a second of none", func(t *testing.T) {
		id := w.createProject("full", "github.com")
		held := holdOpen(t, w, id, w.addrOf(11, 7), "400")
		out := w.mustCLI("mode", id, "none")
		require.Contains(t, out, "cut 1 open connections")
		r := diesWithin(t, held, time.Second)
		require.False(t, r.OK)
		require.Less(t, r.Rounds, 400)
	})

	t.Run("a removed domain's connection survives unless cut", func(t *testing.T) {
		id := w.createProject("restricted", "github.com", "other.example.org")
		require.True(t, w.probe(id, "resolve", "github.com").OK)
		held := holdOpen(t, w, id, w.addrOf(11, 7), "10")
		out := w.mustCLI("domains", "rm", id, "github.com")
		require.NotContains(t, out, "cut")
		r := <-held
		require.True(t, r.OK, "without --cut the open connection stays: %s", r.Error)
		require.Equal(t, 10, r.Rounds)

		w.mustCLI("domains", "add", id, "github.com")
		require.True(t, w.probe(id, "resolve", "github.com").OK)
		held = holdOpen(t, w, id, w.addrOf(11, 7), "400")
		out = w.mustCLI("domains", "rm", "--cut", id, "github.com")
		require.Contains(t, out, "cut 1 open connections", "only the held one: the first, closed, is not counted")
		r = diesWithin(t, held, time.Second)
		require.False(t, r.OK)
	})
}
