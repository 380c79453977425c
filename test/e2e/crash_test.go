package e2e

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDockerDaemonKill9LosesNoAcknowledgedChange(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	sidecarBefore := w.containerStart("warden-" + id + "-sidecar")

	for round := 0; round < 3; round++ {
		var mu sync.Mutex
		var acked []int
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for port := 20000 + round*1000; ; port++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := w.cli("ports", "add", id, strconv.Itoa(port)); err == nil {
					mu.Lock()
					acked = append(acked, port)
					mu.Unlock()
				}
			}
		}()
		time.Sleep(time.Duration(200+rand.IntN(400)) * time.Millisecond)
		w.killDaemon()
		close(stop)
		wg.Wait()
		w.startDaemon()

		out := w.mustCLI("ports", "ls", id)
		have := map[string]bool{}
		for _, f := range strings.Fields(out) {
			have[f] = true
		}
		mu.Lock()
		require.NotEmpty(t, acked, "round %d: no edit was acknowledged before the kill", round)
		for _, p := range acked {
			require.True(t, have[strconv.Itoa(p)], "round %d: acknowledged port %d lost after kill -9", round, p)
		}
		mu.Unlock()
	}

	// The daemon came back to running containers and kept them.
	require.Equal(t, sidecarBefore, w.containerStart("warden-"+id+"-sidecar"))
	require.True(t, w.probe(id, "resolve", "github.com").OK)
	w.mustCLI("domains", "add", id, "other.example.org")
	require.True(t, w.probe(id, "resolve", "other.example.org").OK, "edits reach the sidecar after the restart")
}

func TestDockerKilledSidecarIsRestoredUnderTheSamePolicy(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	w.mustCLI("domains", "add", id, "other.example.org")
	sidecar := "warden-" + id + "-sidecar"
	agentBefore := w.containerStart("warden-" + id + "-agent")

	w.docker("kill", sidecar)
	require.Eventually(t, func() bool {
		out, _, err := w.cli("status", id, "--json")
		return err == nil && strings.Contains(out, `"ready": true`) && w.containerStart("warden-"+id+"-agent") != agentBefore
	}, readyWithin, 250*time.Millisecond, "the sidecar and agent were not restored")

	require.Eventually(t, func() bool {
		return w.probe(id, "resolve", "other.example.org").OK
	}, 10*time.Second, 250*time.Millisecond, "the restored sidecar does not allow the edited name")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "blocked.example").Rcode)
	require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK)
}
