package nflog

import (
	"net"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
)

// fakeConn is an in-memory conn: Execute records requests and answers with
// executeErr; Receive hands out the queued replies one by one, then blocks
// until the read deadline passes or the conn is closed.
type fakeConn struct {
	mu         sync.Mutex
	executed   []netlink.Message
	executeErr map[int]error // by call index
	replies    chan reply
	expired    chan struct{} // closed while the read deadline is in the past
	closed     chan struct{}
	closeOnce  sync.Once
}

type reply struct {
	msgs []netlink.Message
	err  error
}

func newFakeConn() *fakeConn {
	return &fakeConn{
		executeErr: map[int]error{},
		replies:    make(chan reply, 100),
		expired:    make(chan struct{}),
		closed:     make(chan struct{}),
	}
}

func (c *fakeConn) Execute(m netlink.Message) ([]netlink.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.executed)
	c.executed = append(c.executed, m)
	return nil, c.executeErr[i]
}

func (c *fakeConn) Receive() ([]netlink.Message, error) {
	c.mu.Lock()
	expired := c.expired
	c.mu.Unlock()
	select {
	case r := <-c.replies:
		return r.msgs, r.err
	case <-expired:
		return nil, &netlink.OpError{Op: "receive", Err: os.ErrDeadlineExceeded}
	case <-c.closed:
		return nil, &netlink.OpError{Op: "receive", Err: net.ErrClosed}
	}
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	past := !t.IsZero() && t.Before(time.Now())
	select {
	case <-c.expired:
		if !past {
			c.expired = make(chan struct{})
		}
	default:
		if past {
			close(c.expired)
		}
	}
	return nil
}

func (c *fakeConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}
