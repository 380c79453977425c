package daemon

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func event(sec int, name string) shared.Event {
	return shared.Event{
		Time: time.Date(2025, 3, 1, 12, 0, sec, 0, time.UTC),
		Kind: shared.EventDNSRefused, Name: name, QType: "A", Protocol: "udp",
	}
}

// collector gathers what a follower receives.
type collector struct {
	mu  sync.Mutex
	evs []shared.Event
}

func (c *collector) add(e shared.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evs = append(c.evs, e)
}

func (c *collector) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.evs))
	for i, e := range c.evs {
		out[i] = e.Name
	}
	return out
}

func TestSidecarEventsArePersistedAndFollowed(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	require.NoError(t, env.st.AppendEvents(p.ID, []shared.Event{event(1, "old.example")}))
	// The sidecar replays what it holds at every connect; what is already
	// stored must not be stored twice.
	env.sc.replay[env.socket(p.ID)] = []shared.Event{event(1, "old.example"), event(2, "replayed.example")}
	env.rt.setState(p.ID, runningState())
	env.run(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got collector
	followed := make(chan error, 1)
	go func() { followed <- env.d.Follow(ctx, "web", 0, got.add) }()

	eventually(t, func() bool { return env.st.eventCount(p.ID) == 2 }, "the replayed event is stored once")
	env.sc.feed(env.socket(p.ID)) <- event(3, "live.example")
	eventually(t, func() bool { return env.st.eventCount(p.ID) == 3 }, "a live event is stored")
	eventually(t, func() bool {
		n := got.names()
		return len(n) == 3 && n[2] == "live.example"
	}, "the API follower sees the history and then the live event")
	require.Equal(t, []string{"old.example", "replayed.example", "live.example"}, got.names())

	evs, err := env.d.Events(context.Background(), p.ID, 2)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "live.example", evs[1].Name)

	cancel()
	require.NoError(t, <-followed)
}

func TestFollowEndsWhenProjectIsDeleted(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	followed := make(chan error, 1)
	go func() { followed <- env.d.Follow(context.Background(), p.ID, 10, func(shared.Event) {}) }()
	eventually(t, func() bool {
		env.d.hub.mu.Lock()
		defer env.d.hub.mu.Unlock()
		return len(env.d.hub.subs[p.ID]) == 1
	}, "the follower subscribes")
	require.NoError(t, env.d.Delete(context.Background(), p.ID))
	select {
	case err := <-followed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not end when the project was deleted")
	}
}

func TestEventsMergesWhatTheSidecarHoldsNotYetStored(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	require.NoError(t, env.st.AppendEvents(p.ID, []shared.Event{event(1, "a.example"), event(2, "b.example")}))
	env.sc.recent[env.socket(p.ID)] = []shared.Event{event(2, "b.example"), event(3, "c.example")}
	env.d.ensureFollower(p.ID)

	evs, err := env.d.Events(context.Background(), p.ID, 0)
	require.NoError(t, err)
	names := make([]string, len(evs))
	for i, e := range evs {
		names[i] = e.Name
	}
	require.Equal(t, []string{"a.example", "b.example", "c.example"}, names)
}

func TestDedup(t *testing.T) {
	d := newDedup()
	require.True(t, d.fresh(event(1, "a")))
	require.False(t, d.fresh(event(1, "a")))
	require.True(t, d.fresh(event(1, "b")), "another event at the same time")
	require.False(t, d.fresh(event(0, "z")), "older than what was seen")
	require.True(t, d.fresh(event(2, "a")))
	require.False(t, d.fresh(event(1, "b")))
}
