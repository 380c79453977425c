package proxy

import (
	"net"
	"sync"
)

// tunnels are the open WebSocket tunnels, so Close can end them: the HTTP
// server forgets a connection once it is taken over.
type tunnels struct {
	mu     sync.Mutex
	open   map[*tunnel]struct{}
	closed bool
}

type tunnel struct{ a, b net.Conn }

// add records a tunnel; nil when the proxy is closing (both are closed).
func (ts *tunnels) add(a, b net.Conn) *tunnel {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.closed {
		a.Close()
		b.Close()
		return nil
	}
	if ts.open == nil {
		ts.open = make(map[*tunnel]struct{})
	}
	t := &tunnel{a, b}
	ts.open[t] = struct{}{}
	return t
}

func (ts *tunnels) remove(t *tunnel) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	delete(ts.open, t)
}

// count is the number of open tunnels.
func (ts *tunnels) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.open)
}

func (ts *tunnels) closeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.closed = true
	for t := range ts.open {
		t.a.Close()
		t.b.Close()
	}
	clear(ts.open)
}
