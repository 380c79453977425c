package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// catchUpTimeout bounds the wait for a sidecar's recent events before an
// audit read; past it the read answers with what is stored.
const catchUpTimeout = 2 * time.Second

// feed is one followed sidecar's way into the store: the events not yet
// seen go to the queue in the sidecar's order, whoever delivers them (the
// follow stream, or a catch-up before a read).
type feed struct {
	mu      sync.Mutex
	seen    *dedup
	queue   chan shared.Event
	closed  bool
	dropped int

	flushReq chan chan struct{} // the persister flushes, then closes the channel
	gone     chan struct{}      // closed when the persister has returned
}

// offer queues e unless it was seen. When the queue is full, e is dropped
// and offer returns how many were dropped so far; 0 otherwise.
func (f *feed) offer(e shared.Event) (dropped int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || !f.seen.fresh(e) {
		return 0
	}
	select {
	case f.queue <- e:
		return 0
	default:
		f.dropped++
		return f.dropped
	}
}

// close ends the queue; later offers are ignored.
func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	close(f.queue)
}

// catchUp stores what the project's sidecar recorded and the follow stream
// has not delivered yet, so that a read right after an event sees it. The
// sidecar's ring holds its events in order, so offering it whole keeps the
// order the stream would have.
func (d *Daemon) catchUp(ctx context.Context, id string) {
	d.mu.Lock()
	f := d.feeds[id]
	d.mu.Unlock()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	live, err := d.sc.Events(ctx, d.rt.SocketPath(id), 0)
	if err != nil {
		return
	}
	for _, e := range live {
		f.offer(e)
	}
	done := make(chan struct{})
	select {
	case f.flushReq <- done:
	case <-f.gone:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-done:
	case <-f.gone:
	case <-ctx.Done():
	}
}
