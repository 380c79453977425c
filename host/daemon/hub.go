package daemon

import (
	"sync"

	"github.com/warden-sh/warden/shared"
)

// subscriberBuffer is how many events a slow API follower may fall behind
// before it misses some; the sidecar follower never waits for it.
const subscriberBuffer = 256

// hub fans a project's persisted events out to API followers.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan []shared.Event]struct{}
}

func newHub() *hub {
	return &hub{subs: make(map[string]map[chan []shared.Event]struct{})}
}

// subscribe returns a channel of event batches for project id and a cancel
// function that must be called when the follower leaves.
func (h *hub) subscribe(id string) (<-chan []shared.Event, func()) {
	ch := make(chan []shared.Event, subscriberBuffer)
	h.mu.Lock()
	if h.subs[id] == nil {
		h.subs[id] = make(map[chan []shared.Event]struct{})
	}
	h.subs[id][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[id], ch)
		if len(h.subs[id]) == 0 {
			delete(h.subs, id)
		}
		h.mu.Unlock()
	}
}

// publish hands a batch to every follower of id, dropping it for those whose
// buffer is full.
func (h *hub) publish(id string, evs []shared.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		select {
		case ch <- evs:
		default:
		}
	}
}

// close ends every follower of id (the project is gone).
func (h *hub) close(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[id] {
		close(ch)
	}
	delete(h.subs, id)
}
