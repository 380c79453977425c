package events

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func ev(i int) shared.Event {
	return shared.Event{
		Time:     time.Unix(int64(1000+i), 0),
		Kind:     shared.EventConnRejected,
		Address:  fmt.Sprintf("192.0.2.%d", i),
		Protocol: "udp",
	}
}

func evs(from, to int) []shared.Event {
	out := []shared.Event{}
	for i := from; i <= to; i++ {
		out = append(out, ev(i))
	}
	return out
}

func TestRecent(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		record   int
		n        int
		want     []shared.Event
	}{
		{name: "empty", capacity: 3, record: 0, n: 0, want: evs(1, 0)},
		{name: "partly filled, all", capacity: 3, record: 2, n: 0, want: evs(1, 2)},
		{name: "full, all", capacity: 3, record: 3, n: 0, want: evs(1, 3)},
		{name: "wrapped keeps the latest", capacity: 3, record: 7, n: 0, want: evs(5, 7)},
		{name: "wrapped, last two", capacity: 3, record: 7, n: 2, want: evs(6, 7)},
		{name: "more than held", capacity: 3, record: 2, n: 10, want: evs(1, 2)},
		{name: "negative means all", capacity: 3, record: 4, n: -1, want: evs(2, 4)},
		{name: "capacity below one keeps one", capacity: 0, record: 3, n: 0, want: evs(3, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New(tc.capacity)
			for i := 1; i <= tc.record; i++ {
				l.Record(ev(i))
			}
			require.Equal(t, tc.want, l.Recent(tc.n))
			require.Equal(t, uint64(tc.record), l.Recorded())
		})
	}
}

func TestRecordStampsTime(t *testing.T) {
	l := New(2)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	l.now = func() time.Time { return at }
	l.Record(shared.Event{Kind: shared.EventDNSRefused, Name: "evil.example"})
	l.Record(ev(1))
	got := l.Recent(0)
	require.Equal(t, at, got[0].Time, "an event without a time gets the current one")
	require.Equal(t, ev(1).Time, got[1].Time, "an event's own time is kept")
}

func TestRecentIsACopy(t *testing.T) {
	l := New(2)
	l.Record(ev(1))
	got := l.Recent(0)
	got[0].Address = "changed"
	require.Equal(t, ev(1), l.Recent(0)[0])
}

func TestSubscribe(t *testing.T) {
	l := New(10)
	l.Record(ev(1))
	ch, cancel := l.Subscribe(4)
	l.Record(ev(2))
	l.Record(ev(3))
	require.Equal(t, ev(2), <-ch, "events recorded before subscribing are not sent")
	require.Equal(t, ev(3), <-ch)
	require.Equal(t, 1, l.Subscribers())

	cancel()
	cancel()
	_, open := <-ch
	require.False(t, open, "cancel closes the channel")
	require.Equal(t, 0, l.Subscribers())
	l.Record(ev(4)) // must not panic on a closed channel
}

func TestSlowSubscriberLosesEventsWithoutBlocking(t *testing.T) {
	l := New(100)
	slow, cancelSlow := l.Subscribe(2)
	defer cancelSlow()
	fast, cancelFast := l.Subscribe(10)
	defer cancelFast()

	done := make(chan struct{})
	go func() {
		for i := 1; i <= 5; i++ {
			l.Record(ev(i))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a subscriber that does not read")
	}

	require.Equal(t, ev(1), <-slow)
	require.Equal(t, ev(2), <-slow)
	require.Len(t, slow, 0)
	require.Equal(t, uint64(3), l.Dropped())
	require.Len(t, fast, 5, "a subscriber with room gets every event")
	require.Len(t, l.Recent(0), 5, "the log keeps every event whatever subscribers do")
}

func TestSubscribeRecent(t *testing.T) {
	tests := []struct {
		name    string
		backlog int
		want    []shared.Event
	}{
		{name: "all", backlog: 0, want: evs(1, 3)},
		{name: "last two", backlog: 2, want: evs(2, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New(10)
			for i := 1; i <= 3; i++ {
				l.Record(ev(i))
			}
			recent, ch, cancel := l.SubscribeRecent(tc.backlog, 4)
			defer cancel()
			l.Record(ev(4))
			require.Equal(t, tc.want, recent)
			require.Equal(t, ev(4), <-ch)
		})
	}
}

// TestSubscribeRecentNoGapNoDuplicate subscribes while events are being
// recorded and checks the backlog and the channel together hold a contiguous
// run ending at the last event, each event once.
func TestSubscribeRecentNoGapNoDuplicate(t *testing.T) {
	const total = 2000
	l := New(total)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= total; i++ {
			l.Record(ev(i))
		}
	}()
	time.Sleep(time.Millisecond)
	recent, ch, cancel := l.SubscribeRecent(0, total)
	wg.Wait()
	cancel()
	got := append([]shared.Event{}, recent...)
	for e := range ch {
		got = append(got, e)
	}
	require.Equal(t, evs(1, total), got)
}

func TestConcurrentUse(t *testing.T) {
	l := New(64)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				l.Record(ev(i % 250))
			}
		}()
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ch, cancel := l.Subscribe(1 + i%3)
				_, _, cancel2 := l.SubscribeRecent(5, 1)
				select {
				case <-ch:
				default:
				}
				_ = l.Recent(i % 70)
				_ = l.Dropped()
				cancel()
				cancel2()
			}
		}()
	}
	wg.Wait()
	require.Equal(t, uint64(8*500), l.Recorded())
	require.Len(t, l.Recent(0), 64)
	require.Equal(t, 0, l.Subscribers())
}
