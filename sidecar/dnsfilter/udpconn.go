package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"
)

const (
	// maxInFlight caps live queries per socket; fewer live IDs also means
	// fewer chances for a forged reply to guess one.
	maxInFlight = 1024
	// maxIDsHeld caps live plus retired IDs per socket, leaving most of the
	// 16-bit space free so a random pick rarely collides.
	maxIDsHeld = 16384
	// retireFor is how long the ID of a query that got no reply stays
	// reserved, so a late reply is recognised and dropped rather than taken
	// for a forgery.
	retireFor = 10 * time.Second
)

var (
	errBusy        = errors.New("too many queries in flight to this upstream")
	errClosed      = errors.New("upstream socket closed")
	errTimeout     = errors.New("no reply from upstream in time")
	errUnreachable = errors.New("upstream unreachable (port closed)")
	errForged      = errors.New("unexpected reply on upstream socket; pending queries failed")
	errMismatch    = errors.New("upstream reply does not answer the question asked")
)

// udpConn is one long-lived UDP socket connected to one upstream. Many
// queries share it at once, told apart by random IDs; one goroutine reads
// replies and hands each to the query waiting for its ID. Because the socket
// is connected, the kernel drops datagrams from any other source.
type udpConn struct {
	conn     *net.UDPConn
	onForged func()

	mu      sync.Mutex
	pending map[uint16]*call
	live    int
	retired []retiredID // oldest first
	closed  bool
}

type call struct {
	query   []byte // the packed query; bytes past the ID are not written while the call lives
	nameEnd int
	end     int
	done    chan result // buffered: the reader never blocks on it
	retired bool
}

type result struct {
	reply []byte
	err   error
}

type retiredID struct {
	id    uint16
	c     *call
	until time.Time
}

func dialUDP(up string, d *net.Dialer, onForged func()) (*udpConn, error) {
	nc, err := d.Dial("udp", up)
	if err != nil {
		return nil, err
	}
	c := &udpConn{conn: nc.(*net.UDPConn), onForged: onForged, pending: make(map[uint16]*call)}
	go c.readLoop()
	return c, nil
}

// exchange sends query (its first two bytes are overwritten with a fresh
// ID) and waits for the matching reply, the timeout or ctx.
func (c *udpConn) exchange(ctx context.Context, query []byte, nameEnd, end int, timeout time.Duration) ([]byte, error) {
	cl := &call{query: query, nameEnd: nameEnd, end: end, done: make(chan result, 1)}
	id, err := c.register(cl)
	if err != nil {
		return nil, err
	}
	setMsgID(query, id)
	if _, err := c.conn.Write(query); err != nil {
		c.retire(id, cl)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, errUnreachable
		}
		return nil, fmt.Errorf("sending query: %w", err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-cl.done:
		return r.reply, r.err
	case <-t.C:
		c.retire(id, cl)
		return nil, errTimeout
	case <-ctx.Done():
		c.retire(id, cl)
		return nil, ctx.Err()
	}
}

// register picks a random ID no other call on this socket holds.
func (c *udpConn) register(cl *call) (uint16, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errClosed
	}
	if c.live >= maxInFlight {
		return 0, errBusy
	}
	c.forgetRetired(time.Now())
	for {
		id := uint16(rand.Uint32())
		if _, taken := c.pending[id]; !taken {
			c.pending[id] = cl
			c.live++
			return id, nil
		}
	}
}

// forgetRetired frees the IDs whose reservation has run out, and the oldest
// ones early when too many are held.
func (c *udpConn) forgetRetired(now time.Time) {
	n := 0
	for ; n < len(c.retired); n++ {
		r := c.retired[n]
		if now.Before(r.until) && len(c.pending) < maxIDsHeld {
			break
		}
		if c.pending[r.id] == r.c {
			delete(c.pending, r.id)
		}
	}
	if n > 0 {
		c.retired = append(c.retired[:0], c.retired[n:]...)
	}
}

// retire gives up on a call but keeps its ID reserved for a while.
func (c *udpConn) retire(id uint16, cl *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.retireLocked(id, cl, time.Now())
}

func (c *udpConn) retireLocked(id uint16, cl *call, now time.Time) {
	if c.pending[id] != cl || cl.retired {
		return // already answered
	}
	cl.retired = true
	c.live--
	c.retired = append(c.retired, retiredID{id: id, c: cl, until: now.Add(retireFor)})
}

// failAllLocked ends every live call with err, keeping their IDs reserved.
func (c *udpConn) failAllLocked(err error) {
	if c.live == 0 {
		return
	}
	now := time.Now()
	for id, cl := range c.pending {
		if !cl.retired {
			c.retireLocked(id, cl, now)
			cl.done <- result{err: err}
		}
	}
}

func (c *udpConn) readLoop() {
	buf := make([]byte, 65535)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			c.mu.Lock()
			closed := c.closed
			switch {
			case closed || errors.Is(err, net.ErrClosed):
				c.closed = true
				c.failAllLocked(errClosed)
			case errors.Is(err, syscall.ECONNREFUSED):
				c.failAllLocked(errUnreachable)
			default:
				c.failAllLocked(fmt.Errorf("reading reply: %w", err))
			}
			c.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				time.Sleep(10 * time.Millisecond) // do not spin on a socket that keeps failing
			}
			continue
		}
		c.deliver(buf[:n])
	}
}

// deliver routes one datagram to the call waiting for its ID. A datagram
// that answers no live or recently retired query, or that carries a live
// ID but the wrong question, can only come from someone guessing IDs: every
// live call fails, so a guess has to be right on its first try.
func (c *udpConn) deliver(b []byte) {
	c.mu.Lock()
	var cl *call
	if len(b) >= headerLen {
		cl = c.pending[msgID(b)]
	}
	switch {
	case cl != nil && cl.retired:
		c.mu.Unlock() // a late reply to a query already given up on
		return
	case cl != nil && answers(b, cl.query, cl.nameEnd, cl.end):
		delete(c.pending, msgID(b))
		c.live--
		c.mu.Unlock()
		cl.done <- result{reply: append([]byte(nil), b...)}
		return
	}
	// Counted before any query hears of it, so whoever sees the failure
	// sees the count.
	if c.onForged != nil {
		c.onForged()
	}
	if cl != nil {
		c.retireLocked(msgID(b), cl, time.Now())
		cl.done <- result{err: errMismatch}
	}
	c.failAllLocked(errForged)
	c.mu.Unlock()
}

func (c *udpConn) close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		return nil
	}
	return c.conn.Close()
}
