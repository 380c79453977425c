package events

import (
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// DefaultCapacity is the number of events a sidecar keeps.
const DefaultCapacity = 1000

// Log is a bounded, concurrency-safe log of events with live subscribers.
type Log struct {
	now func() time.Time

	mu       sync.Mutex
	ring     []shared.Event
	next     int // index the next event is written to
	held     int // number of events in ring
	recorded uint64
	dropped  uint64
	subs     map[*subscriber]struct{}
	hosts    map[string]bool // the host's addresses (SetHostAddrs)
	counts   shared.EventCounters
	connSeen map[string]struct{} // names RecordConnContact recorded
}

// New returns a log that keeps the last capacity events (at least one).
func New(capacity int) *Log {
	if capacity < 1 {
		capacity = 1
	}
	return &Log{
		now:  time.Now,
		ring: make([]shared.Event, capacity),
		subs: make(map[*subscriber]struct{}),
	}
}

// Record appends e, stamping it with the current time when it has none, and
// offers it to every subscriber without waiting.
func (l *Log) Record(e shared.Event) {
	if e.Time.IsZero() {
		e.Time = l.now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.classify(&e)
	l.count(e)
	l.ring[l.next] = e
	l.next = (l.next + 1) % len(l.ring)
	if l.held < len(l.ring) {
		l.held++
	}
	l.recorded++
	for s := range l.subs {
		select {
		case s.ch <- e:
		default:
			l.dropped++
		}
	}
}

// Recent returns up to n of the latest events, oldest first. n <= 0 means
// every event the log holds.
func (l *Log) Recent(n int) []shared.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recentLocked(n)
}

func (l *Log) recentLocked(n int) []shared.Event {
	if n <= 0 || n > l.held {
		n = l.held
	}
	out := make([]shared.Event, n)
	start := (l.next - n + len(l.ring)) % len(l.ring)
	for i := range out {
		out[i] = l.ring[(start+i)%len(l.ring)]
	}
	return out
}

// Recorded is the number of events recorded since the log was created,
// including those pushed out of the ring since.
func (l *Log) Recorded() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recorded
}

// Dropped is the number of deliveries subscribers missed because their
// channel was full, summed over all subscribers past and present.
func (l *Log) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}
