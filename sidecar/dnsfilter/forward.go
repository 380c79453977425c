package dnsfilter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/sidecar/sockmark"
)

// forwarder sends queries to the upstream resolvers on marked sockets.
type forwarder struct {
	upstreams []netip.AddrPort
	timeout   time.Duration
	dialer    net.Dialer // TCP, one connection per query
	pools     [][]*udpConn
	next      atomic.Uint32 // round robin over a pool
	preferred atomic.Uint32 // the upstream that answered last
	counters  *counters
	log       *slog.Logger

	forgedWarn rateLimit
}

// poolSize is how many UDP sockets each upstream gets: one reader goroutine
// per socket, so replies are read in parallel on every core.
var poolSize = func() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

func newForwarder(cfg parsedConfig, c *counters, log *slog.Logger) (*forwarder, error) {
	f := &forwarder{
		upstreams: cfg.upstreams,
		timeout:   cfg.Timeout,
		dialer:    net.Dialer{Timeout: cfg.Timeout, Control: sockmark.Control(cfg.Mark)},
		counters:  c,
		log:       log,
	}
	udpDialer := &net.Dialer{Control: sockmark.Control(cfg.Mark)}
	for _, up := range cfg.upstreams {
		n := poolSize()
		pool := make([]*udpConn, 0, n)
		for range n {
			c, err := dialUDP(up.String(), udpDialer, f.forged)
			if err != nil {
				f.pools = append(f.pools, pool)
				_ = f.close()
				return nil, fmt.Errorf("opening UDP socket to upstream %s: %w", up, err)
			}
			pool = append(pool, c)
		}
		f.pools = append(f.pools, pool)
	}
	return f, nil
}

func (f *forwarder) close() error {
	var errs []error
	for _, pool := range f.pools {
		for _, c := range pool {
			errs = append(errs, c.close())
		}
	}
	return errors.Join(errs...)
}

func (f *forwarder) forged() {
	f.counters.forged.Add(1)
	if f.forgedWarn.allow() {
		f.log.Warn("unexpected reply on an upstream socket, possibly forged; failed the queries in flight on it",
			"forged_total", f.counters.forged.Load())
	}
}

// exchange sends a packed query to the upstreams in turn, starting with the
// one that answered last, until one gives a reply that answers it. Over UDP
// the reply is returned as it came, truncated or not.
func (f *forwarder) exchange(ctx context.Context, query []byte, overTCP bool) ([]byte, error) {
	nameEnd, end, err := questionEnd(query)
	if err != nil {
		return nil, err
	}
	n := uint32(len(f.upstreams))
	first := f.preferred.Load()
	var errs []error
	for i := range n {
		u := (first + i) % n
		var reply []byte
		if overTCP {
			reply, err = f.exchangeTCP(ctx, u, query, nameEnd, end)
		} else {
			reply, err = f.exchangeUDP(ctx, u, query, nameEnd, end)
		}
		if err == nil {
			if u != first {
				f.preferred.Store(u)
			}
			return reply, nil
		}
		f.counters.upstreamErrors.Add(1)
		errs = append(errs, fmt.Errorf("upstream %s: %w", f.upstreams[u], err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (f *forwarder) exchangeUDP(ctx context.Context, u uint32, query []byte, nameEnd, end int) ([]byte, error) {
	pool := f.pools[u]
	c := pool[f.next.Add(1)%uint32(len(pool))]
	return c.exchange(ctx, query, nameEnd, end, f.timeout)
}

// exchangeTCP asks one upstream over a fresh TCP connection.
func (f *forwarder) exchangeTCP(ctx context.Context, u uint32, query []byte, nameEnd, end int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	conn, err := f.dialer.DialContext(ctx, "tcp", f.upstreams[u].String())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Unblocks the reads below when ctx ends, by timeout or by the caller.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	id := uint16(rand.Uint32())
	setMsgID(query, id)
	out := make([]byte, 2+len(query))
	binary.BigEndian.PutUint16(out, uint16(len(query)))
	copy(out[2:], query)
	if _, err := conn.Write(out); err != nil {
		return nil, fmt.Errorf("sending query: %w", err)
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, fmt.Errorf("reading reply length: %w", err)
	}
	reply := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(conn, reply); err != nil {
		return nil, fmt.Errorf("reading reply: %w", err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(reply) < headerLen || msgID(reply) != id || !answers(reply, query, nameEnd, end) {
		return nil, errMismatch
	}
	return reply, nil
}
