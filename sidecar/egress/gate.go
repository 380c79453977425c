package egress

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/sockmark"
)

// Gate judges the agent's redirected TCP connections by the name they carry.
// It is safe for concurrent use.
type Gate struct {
	cfg    Config
	log    *slog.Logger
	record func(shared.Event)
	dialer net.Dialer

	matcher atomic.Pointer[shared.Matcher]
	// destination reports where a redirected connection was meant to go;
	// tests replace it, as they cannot redirect without privileges.
	destination func(*net.TCPConn) (netip.AddrPort, error)

	mu     sync.Mutex
	lns    []net.Listener
	flows  map[*flow]struct{}
	closed bool
	wg     sync.WaitGroup

	checked, refused atomic.Uint64
}

// New prepares a gate that refuses every name until SetPolicy is called.
// record receives one event per refused connection.
func New(cfg Config, record func(shared.Event), log *slog.Logger) (*Gate, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if record == nil {
		record = func(shared.Event) {}
	}
	g := &Gate{
		cfg:    cfg,
		log:    log.With("component", "egress"),
		record: record,
		dialer: net.Dialer{Timeout: cfg.DialTimeout, Control: sockmark.Control(cfg.Mark)},
		flows:  map[*flow]struct{}{},
	}
	g.destination = redirectedDst
	g.matcher.Store(shared.NewMatcher(nil))
	return g, nil
}

// SetPolicy makes m the allowlist new connections and new requests are
// judged by. Connections already open stay open (see Cut).
func (g *Gate) SetPolicy(m *shared.Matcher) { g.matcher.Store(m) }

// Start listens on 127.0.0.1 and ::1 at the configured port. A namespace
// without IPv6 gets the IPv4 listener only.
func (g *Gate) Start() error {
	var lns []net.Listener
	for _, host := range []string{"127.0.0.1", "::1"} {
		addr := net.JoinHostPort(host, fmt.Sprint(g.cfg.Port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if host == "::1" && errors.Is(err, syscall.EADDRNOTAVAIL) {
				g.log.Warn("no IPv6 loopback; the gate listens on IPv4 only", "err", err)
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return fmt.Errorf("listening on %s: %w", addr, err)
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		if err := g.acceptOn(ln); err != nil {
			return err
		}
	}
	g.log.Info("checking names of connections to allowed addresses", "port", g.cfg.Port)
	return nil
}

// redirectedDst is the original destination of a connection the firewall
// redirected. A connection made to the gate itself has none worth dialling.
func redirectedDst(c *net.TCPConn) (netip.AddrPort, error) {
	dst, err := originalDst(c)
	if err != nil {
		return dst, err
	}
	if !dst.IsValid() || dst.Addr().IsLoopback() || dst.Addr().IsUnspecified() {
		return dst, fmt.Errorf("connection to %s was not redirected", dst)
	}
	return dst, nil
}

// acceptOn serves connections from ln until Close; a closed gate closes ln.
func (g *Gate) acceptOn(ln net.Listener) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		ln.Close()
		return errors.New("starting egress gate: closed")
	}
	g.lns = append(g.lns, ln)
	g.wg.Add(1)
	go g.accept(ln)
	return nil
}

func (g *Gate) accept(ln net.Listener) {
	defer g.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			g.log.Warn("accepting a connection", "err", err)
			continue
		}
		f := &flow{g: g, client: c.(*net.TCPConn), done: make(chan struct{})}
		if !g.track(f) {
			f.reset()
			return
		}
		go f.serve()
	}
}

func (g *Gate) track(f *flow) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.flows[f] = struct{}{}
	g.wg.Add(1)
	return true
}

func (g *Gate) untrack(f *flow) {
	g.mu.Lock()
	delete(g.flows, f)
	g.mu.Unlock()
	g.wg.Done()
}

// Cut closes every open connection keep refuses, and returns how many it
// closed. keep gets the name a connection was bound to ("" for one let
// through by the address rule) and its destination; a nil keep closes
// everything.
func (g *Gate) Cut(keep func(name string, dst netip.Addr) bool) int {
	g.mu.Lock()
	var cut []*flow
	for f := range g.flows {
		if keep == nil || !keep(f.boundName(), f.dst.Addr()) {
			cut = append(cut, f)
		}
	}
	g.mu.Unlock()
	for _, f := range cut {
		f.reset()
	}
	return len(cut)
}

// Close stops listening and cuts every open connection.
func (g *Gate) Close() error {
	g.mu.Lock()
	g.closed = true
	lns := g.lns
	g.lns = nil
	g.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	g.Cut(nil)
	g.wg.Wait()
	return nil
}

// Counters reports the gate's decisions since New and the connections open now.
func (g *Gate) Counters() shared.EgressCounters {
	g.mu.Lock()
	open := len(g.flows)
	g.mu.Unlock()
	return shared.EgressCounters{Checked: g.checked.Load(), Refused: g.refused.Load(), Open: uint64(open)}
}

// allowed judges a name by the current allowlist.
func (g *Gate) allowed(name string) bool {
	_, ok := g.matcher.Load().Match(name)
	return ok
}

func (g *Gate) refusal(dst netip.AddrPort, name, reason string) {
	g.refused.Add(1)
	g.log.Debug("connection refused for its name", "name", name, "dst", dst, "reason", reason)
	g.record(shared.Event{
		Kind:     shared.EventNameRefused,
		Name:     name,
		Address:  dst.Addr().String(),
		Port:     int(dst.Port()),
		Protocol: "tcp",
		Reason:   reason,
	})
}

// dial connects to the destination on a marked socket.
func (g *Gate) dial(ctx context.Context, dst netip.AddrPort) (*net.TCPConn, error) {
	c, err := g.dialer.DialContext(ctx, "tcp", dst.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
