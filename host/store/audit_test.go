package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func seqs(p Page) []uint64 {
	out := []uint64{}
	for _, r := range p.Records {
		out = append(out, r.Seq)
	}
	return out
}

func TestAuditPagesAndCountsDrops(t *testing.T) {
	s := openTemp(t)
	s.SetEventHistory(5)
	id := testProject(1).ID
	require.NoError(t, s.Create(testProject(1)))

	p, err := s.Audit(id, Query{})
	require.NoError(t, err)
	require.Empty(t, p.Records)
	require.Zero(t, p.Dropped)

	require.NoError(t, s.AppendEvents(id, events(1, 3)))
	p, err = s.Audit(id, Query{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2}, seqs(p))
	require.Equal(t, event(1), p.Records[0].Event)
	require.Equal(t, uint64(3), p.Last)
	p, err = s.Audit(id, Query{After: 2})
	require.NoError(t, err)
	require.Equal(t, []uint64{3}, seqs(p), "the next page starts after the last record seen")
	p, err = s.Audit(id, Query{Tail: 2})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 3}, seqs(p), "the last two")
	p, err = s.Audit(id, Query{Tail: 10})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3}, seqs(p))

	require.NoError(t, s.AppendEvents(id, events(4, 7)))
	p, err = s.Audit(id, Query{})
	require.NoError(t, err)
	require.Equal(t, []uint64{3, 4, 5, 6, 7}, seqs(p), "the oldest go first")
	require.Equal(t, uint64(2), p.Dropped)

	// A batch larger than the bound: its own head is dropped and counted,
	// and the sequence numbers still say how many events there were.
	require.NoError(t, s.AppendEvents(id, events(8, 15)))
	p, err = s.Audit(id, Query{})
	require.NoError(t, err)
	require.Equal(t, []uint64{11, 12, 13, 14, 15}, seqs(p))
	require.Equal(t, event(15), p.Records[4].Event)
	require.Equal(t, uint64(10), p.Dropped)

	// The count survives a reopen.
	path := s.db.Path()
	require.NoError(t, s.Close())
	s, err = Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	p, err = s.Audit(id, Query{})
	require.NoError(t, err)
	require.Equal(t, uint64(10), p.Dropped)
}

func TestAuditSinceAndKeep(t *testing.T) {
	s := openTemp(t)
	id := testProject(1).ID
	require.NoError(t, s.Create(testProject(1)))
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	evs := []shared.Event{
		{Time: base, Kind: shared.EventDNSRefused, Name: "old.example", Protocol: "udp"},
		{Time: base.Add(time.Hour), Kind: shared.EventDNSAllowed, Name: "new.example", Protocol: "udp", Addresses: []string{"192.0.2.1"}},
		{Time: base.Add(2 * time.Hour), Kind: shared.EventDNSRefused, Name: "newer.example", Protocol: "udp"},
	}
	require.NoError(t, s.AppendEvents(id, evs))
	p, err := s.Audit(id, Query{Since: base.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 3}, seqs(p))
	require.Equal(t, evs[1].Addresses, p.Records[0].Event.Addresses)
	p, err = s.Audit(id, Query{Keep: func(e shared.Event) bool { return e.Kind == shared.EventDNSRefused }})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 3}, seqs(p))

	_, err = s.Audit("nosuchproject", Query{})
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.Delete(id))
	require.NoError(t, s.Create(testProject(1)))
	p, err = s.Audit(id, Query{})
	require.NoError(t, err)
	require.Empty(t, p.Records, "a deleted project's history goes with it")
	require.Zero(t, p.Dropped)
}
