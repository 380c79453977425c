package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestEvents(t *testing.T) {
	s := openTemp(t)
	id := testProject(1).ID
	require.NoError(t, s.Create(testProject(1)))

	got, err := s.Events(id, 0)
	require.NoError(t, err)
	require.Equal(t, []shared.Event{}, got, "no events yet, not null")

	require.NoError(t, s.AppendEvents(id, events(1, 3)))
	require.NoError(t, s.AppendEvents(id, nil))
	require.NoError(t, s.AppendEvents(id, events(4, 5)))

	tests := []struct {
		limit int
		want  []shared.Event
	}{
		{limit: 0, want: events(1, 5)},
		{limit: -1, want: events(1, 5)},
		{limit: 2, want: events(4, 5)},
		{limit: 5, want: events(1, 5)},
		{limit: 50, want: events(1, 5)},
	}
	for _, tt := range tests {
		got, err := s.Events(id, tt.limit)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "limit %d", tt.limit)
	}
}

// TestEventsBounded keeps the last events up to the bound, oldest first.
func TestEventsBounded(t *testing.T) {
	s := openTemp(t)
	s.SetEventHistory(1000)
	id := testProject(1).ID
	require.NoError(t, s.Create(testProject(1)))

	for from := 1; from <= 1200; from += 100 {
		require.NoError(t, s.AppendEvents(id, events(from, from+99)))
	}
	got, err := s.Events(id, 0)
	require.NoError(t, err)
	require.Len(t, got, s.EventHistoryBound())
	require.Equal(t, events(201, 1200), got)

	// One batch larger than the history keeps its own tail.
	require.NoError(t, s.AppendEvents(id, events(2001, 2000+s.EventHistoryBound()+50)))
	got, err = s.Events(id, 3)
	require.NoError(t, err)
	require.Equal(t, events(2000+s.EventHistoryBound()+48, 2000+s.EventHistoryBound()+50), got)
	got, err = s.Events(id, 0)
	require.NoError(t, err)
	require.Len(t, got, s.EventHistoryBound())
	require.Equal(t, event(2051), got[0])
}

func TestEventsSmallBound(t *testing.T) {
	s := openTemp(t)
	s.maxEvents = 3
	id := testProject(1).ID
	require.NoError(t, s.Create(testProject(1)))
	for i := 1; i <= 10; i++ {
		require.NoError(t, s.AppendEvents(id, events(i, i)))
		got, err := s.Events(id, 0)
		require.NoError(t, err)
		require.Equal(t, events(max(1, i-2), i), got)
	}
}

func TestDeleteRemovesEvents(t *testing.T) {
	s := openTemp(t)
	p := testProject(1)
	require.NoError(t, s.Create(p))
	require.NoError(t, s.AppendEvents(p.ID, events(1, 3)))
	require.NoError(t, s.Delete(p.ID))

	require.NoError(t, s.Create(p), "the id can be used again")
	got, err := s.Events(p.ID, 0)
	require.NoError(t, err)
	require.Empty(t, got, "a re-created project starts with no history")
}

func TestEventsPerProject(t *testing.T) {
	s := openTemp(t)
	a, b := testProject(1), testProject(2)
	require.NoError(t, s.Create(a))
	require.NoError(t, s.Create(b))
	require.NoError(t, s.AppendEvents(a.ID, events(1, 2)))
	require.NoError(t, s.AppendEvents(b.ID, events(10, 10)))
	got, err := s.Events(a.ID, 0)
	require.NoError(t, err)
	require.Equal(t, events(1, 2), got)
	got, err = s.Events(b.ID, 0)
	require.NoError(t, err)
	require.Equal(t, events(10, 10), got)
}
