package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDockerModesThroughTheCLI(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com", "anthropic.com")
	sidecar, agent := "warden-"+id+"-sidecar", "warden-"+id+"-agent"
	before := w.containerStart(sidecar) + w.containerStart(agent)

	t.Run("restricted", func(t *testing.T) {
		r := w.probe(id, "resolve", "api.github.com")
		require.True(t, r.OK, r.Error)
		require.Equal(t, []string{w.ip(12)}, r.Addrs)
		require.True(t, w.probe(id, "tcp", w.addrOf(12, 7), "-send", "hi").OK)
		require.True(t, w.probe(id, "resolve", "api.anthropic.com").OK)

		r = w.probe(id, "resolve", "blocked.example")
		require.False(t, r.OK)
		require.Equal(t, "REFUSED", r.Rcode)
		require.Equal(t, []uint16{15}, r.EDE, "extended error Blocked")
		require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK, "an address no allowed name gave")
		require.False(t, w.probe(id, "udp", w.addrOf(15, 7)).OK)

		h := w.probe(id, "http", w.hostURL)
		require.True(t, h.OK, h.Error)
		require.Equal(t, "hello from the host", h.Reply)
	})

	t.Run("none", func(t *testing.T) {
		out := w.mustCLI("mode", id, "none")
		require.Contains(t, out, "applied it in")
		require.Equal(t, "REFUSED", w.probe(id, "resolve", "github.com").Rcode)
		require.False(t, w.probe(id, "tcp", w.addrOf(12, 7)).OK)
		require.True(t, w.probe(id, "http", w.hostURL).OK, "the host stays reachable")
	})

	t.Run("full", func(t *testing.T) {
		w.mustCLI("mode", id, "full")
		// Addresses only: in full mode names go to Docker's resolver, which
		// would ask the machine's own resolvers.
		require.True(t, w.probe(id, "tcp", w.addrOf(15, 7), "-send", "hi").OK)
		require.True(t, w.probe(id, "http", w.hostURL).OK)
	})

	t.Run("back to restricted", func(t *testing.T) {
		w.mustCLI("mode", id, "restricted")
		require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK)
		require.True(t, w.probe(id, "resolve", "github.com").OK)
	})

	require.Equal(t, before, w.containerStart(sidecar)+w.containerStart(agent), "mode switches restarted a container")

	st := w.mustCLI("status", id)
	require.Contains(t, st, "ready=true")
	ev := w.mustCLI("events", id)
	require.True(t, strings.Contains(ev, "blocked.example"), ev)
	require.Contains(t, ev, w.ip(15))
}

func TestDockerLiveEditKeepsOpenConnections(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com", "other.example.org")
	agent := "warden-" + id + "-agent"
	before := w.containerStart(agent)
	require.True(t, w.probe(id, "resolve", "github.com").OK)

	held := make(chan probeResult, 1)
	go func() {
		out, _, _ := w.cli("exec", id, "--", "probe", "hold", w.addrOf(11, 7), "-rounds", "12", "-interval", "250ms")
		var r probeResult
		_ = jsonUnmarshal(out, &r)
		held <- r
	}()
	waitForConnection(t, w, id)

	out := w.mustCLI("domains", "rm", id, "github.com")
	require.Contains(t, out, "applied it in")
	require.False(t, w.probe(id, "tcp", w.addrOf(11, 7)).OK, "a new connection to the removed name fails at once")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "github.com").Rcode)

	r := <-held
	require.True(t, r.OK, "the open connection broke: %s", r.Error)
	require.Equal(t, 12, r.Rounds)

	w.mustCLI("domains", "add", id, "registry.npmjs.org")
	require.True(t, w.probe(id, "resolve", "registry.npmjs.org").OK, "an added name works at once")
	require.True(t, w.probe(id, "tcp", w.addrOf(14, 7)).OK)

	require.Equal(t, before, w.containerStart(agent), "a live edit restarted the agent")
}

// waitForConnection waits until the held probe connection shows up in the
// agent's socket table.
func waitForConnection(t *testing.T, w *world, id string) {
	t.Helper()
	require.Eventually(t, func() bool {
		out, _, _ := w.cli("exec", id, "--", "cat", "/proc/net/tcp")
		return strings.Contains(out, procNetTCP(w.ip(11), 7)+" 01") // 01: established
	}, 20*time.Second, 100*time.Millisecond)
}

// procNetTCP spells ip:port the way /proc/net/tcp does: the address's bytes
// in little-endian hex, the port in hex.
func procNetTCP(ip string, port int) string {
	a := netip.MustParseAddr(ip).As4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", a[3], a[2], a[1], a[0], port)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
