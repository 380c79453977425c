package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func contact(sec int, name string) shared.Event {
	e := event(sec, name)
	e.Kind, e.Addresses = shared.EventDNSAllowed, []string{"192.0.2.1"}
	return e
}

func TestAuditHoldsContactsTheFeedLeavesOut(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)
	sock := env.socket(p.ID)
	env.sc.feed(sock) <- event(1, "refused.example")
	env.sc.feed(sock) <- contact(2, "github.com")
	eventually(t, func() bool { return env.st.eventCount(p.ID) == 2 }, "both stored")

	page, err := env.d.Audit(context.Background(), "web", AuditQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 2)
	require.Equal(t, AuditRecord{Seq: 2, Project: p.ID, Event: contact(2, "github.com")}, page.Records[1])
	require.Equal(t, uint64(2), page.Next)
	require.False(t, page.More)

	feed, err := env.d.Events(context.Background(), "web", 0)
	require.NoError(t, err)
	require.Equal(t, []shared.Event{event(1, "refused.example")}, feed, "the event feed shows refusals only")
}

// A read right after the sidecar recorded something sees it, though the
// follow stream has not delivered it yet; the stream's later delivery adds
// nothing twice.
func TestAuditCatchesUpWithTheSidecar(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)
	sock := env.socket(p.ID)
	env.sc.feed(sock) <- event(1, "a.example")
	eventually(t, func() bool { return env.st.eventCount(p.ID) == 1 }, "the first is stored")

	env.sc.mu.Lock()
	env.sc.recent[sock] = []shared.Event{event(1, "a.example"), event(2, "b.example"), contact(3, "c.example")}
	env.sc.mu.Unlock()
	page, err := env.d.Audit(context.Background(), "web", AuditQuery{})
	require.NoError(t, err)
	require.Len(t, page.Records, 3, "%+v", page.Records)
	require.Equal(t, "c.example", page.Records[2].Name)

	env.sc.feed(sock) <- event(2, "b.example")
	env.sc.feed(sock) <- contact(3, "c.example")
	env.sc.feed(sock) <- event(4, "d.example")
	eventually(t, func() bool { return env.st.eventCount(p.ID) == 4 }, "the newer one is stored")
	page, err = env.d.Audit(context.Background(), "web", AuditQuery{After: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"c.example", "d.example"}, []string{page.Records[0].Name, page.Records[1].Name})
}

func TestFollowAuditStreamsNewRecords(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)
	sock := env.socket(p.ID)
	env.sc.feed(sock) <- event(1, "a.example")
	eventually(t, func() bool { return env.st.eventCount(p.ID) == 1 }, "stored")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan AuditRecord, 10)
	go func() { _ = env.d.FollowAudit(ctx, "web", AuditQuery{}, func(r AuditRecord) { got <- r }) }()
	require.Equal(t, "a.example", (<-got).Name, "the backlog first")
	env.sc.feed(sock) <- contact(2, "b.example")
	r := <-got
	require.Equal(t, "b.example", r.Name)
	require.Equal(t, uint64(2), r.Seq)
}
