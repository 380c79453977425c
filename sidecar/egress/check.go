package egress

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ti-mo/conntrack"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/nfqueue"
)

// Check judges the agent's TCP connections to allowed addresses by the name
// their first bytes carry. Packet and Tick run on the queue's reading
// goroutine; the other methods are safe for concurrent use.
type Check struct {
	cfg     Config
	log     *slog.Logger
	record  func(shared.Event)
	contact func(shared.Event)

	matcher atomic.Pointer[shared.Matcher]

	// flows are the connections being judged, or inspected request by
	// request (HTTP); only the reading goroutine touches them.
	flows map[flowKey]*flow

	mu sync.Mutex
	// bound are the connections judged and let through, with the name each
	// was bound to ("" for the address rule), for Cut; pruned against
	// conntrack (Prune).
	bound map[flowKey]binding

	// live is the last conntrack dump (Prune), for the reading goroutine to
	// forget the flows it holds that have closed.
	live atomic.Pointer[liveFlows]

	q       *nfqueue.Queue
	wg      sync.WaitGroup
	stop    context.CancelFunc
	checked atomic.Uint64
	refused atomic.Uint64
	judging atomic.Int64
}

// New prepares a check that refuses every name until SetPolicy is called.
// record receives one event per refused connection, contact one
// (conn-allowed) per connection let through bound to a name.
func New(cfg Config, record, contact func(shared.Event), log *slog.Logger) (*Check, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if record == nil {
		record = func(shared.Event) {}
	}
	if contact == nil {
		contact = func(shared.Event) {}
	}
	c := &Check{
		cfg:     cfg,
		log:     log.With("component", "egress"),
		record:  record,
		contact: contact,
		flows:   map[flowKey]*flow{},
		bound:   map[flowKey]binding{},
	}
	c.matcher.Store(shared.NewMatcher(nil))
	return c, nil
}

// SetPolicy makes m the allowlist new connections and new requests are
// judged by. Connections already let through stay open (see Bound).
func (c *Check) SetPolicy(m *shared.Matcher) { c.matcher.Store(m) }

// Start binds the queue in the calling thread's network namespace and
// judges its packets until Close. Until it runs, the kernel drops what the
// firewall queues: connections to allowed addresses fail, nothing opens.
func (c *Check) Start() error {
	q, err := nfqueue.Open(c.cfg.Queue, c.cfg.MaxHeld, c.log)
	if err != nil {
		return fmt.Errorf("starting name check: %w", err)
	}
	c.q = q
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := q.Run(ctx, c); err != nil {
			c.log.Error("name check stopped; connections to allowed addresses now fail", "err", err)
		}
	}()
	c.log.Info("checking names of connections to allowed addresses", "queue", c.cfg.Queue)
	return nil
}

// Close stops reading the queue; the kernel then drops what it would queue.
func (c *Check) Close() error {
	if c.q == nil {
		return nil
	}
	c.stop()
	err := c.q.Close()
	c.wg.Wait()
	return err
}

// Counters reports the check's decisions since New and the connections it
// holds state for now: being judged, inspected, or let through and still in
// the connection table at the last prune.
func (c *Check) Counters() shared.EgressCounters {
	c.mu.Lock()
	bound := len(c.bound)
	c.mu.Unlock()
	return shared.EgressCounters{Checked: c.checked.Load(), Refused: c.refused.Load(), Open: uint64(bound) + uint64(max(c.judging.Load(), 0))}
}

// Bound reports the name the connection of conntrack flow f was let through
// for ("" for the address rule), and whether the check let it through.
func (c *Check) Bound(f conntrack.Flow) (name string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.bound[keyOf(f)]
	return b.name, ok
}

// pruneGrace keeps a connection the check saw open shortly before a dump:
// its conntrack entry may not have been confirmed in time to be in it.
const pruneGrace = 10 * time.Second

// liveFlows are the connections in a dump of the connection table started
// at at.
type liveFlows struct {
	at   time.Time
	keys map[flowKey]bool
}

// Prune forgets the connections that are no longer in the connection table:
// flows is a dump of it, started at at. Connections the check saw open less
// than pruneGrace before at are kept.
func (c *Check) Prune(flows []conntrack.Flow, at time.Time) {
	live := &liveFlows{at: at, keys: make(map[flowKey]bool, len(flows))}
	for _, f := range flows {
		live.keys[keyOf(f)] = true
	}
	c.mu.Lock()
	for k, b := range c.bound {
		if b.since.Before(at.Add(-pruneGrace)) && !live.keys[k] {
			delete(c.bound, k)
		}
	}
	c.mu.Unlock()
	c.live.Store(live) // the reading goroutine prunes its own at its next tick
}

// pruneFlows forgets the flows being judged or inspected that a dump no
// longer holds.
func (c *Check) pruneFlows() {
	live := c.live.Swap(nil)
	if live == nil {
		return
	}
	for k, f := range c.flows {
		if f.opened.Before(live.at.Add(-pruneGrace)) && !live.keys[k] {
			c.drop(f)
		}
	}
}

func keyOf(f conntrack.Flow) flowKey {
	o := f.TupleOrig
	return flowKey{
		src: netip.AddrPortFrom(o.IP.SourceAddress.Unmap(), o.Proto.SourcePort),
		dst: netip.AddrPortFrom(o.IP.DestinationAddress.Unmap(), o.Proto.DestinationPort),
	}
}

// allowed judges a name by the current allowlist.
func (c *Check) allowed(name string) bool {
	_, ok := c.matcher.Load().Match(name)
	return ok
}

// Packet judges one queued packet of the agent's (nfqueue.Handler).
func (c *Check) Packet(p nfqueue.Packet, out *nfqueue.Batch) {
	s, err := parseSegment(p.Data)
	if err != nil {
		c.log.Debug("refusing a packet the check cannot read", "err", err)
		out.Set(p.ID, c.refuseVerdict())
		return
	}
	s.key = canonical(s.key)
	f := c.flows[s.key]
	switch {
	case s.flags&flagSYN != 0 && s.flags&flagACK == 0:
		if len(s.payload) > 0 {
			// TCP Fast Open: the data would leave with the SYN, before a
			// name could be judged.
			c.drop(f)
			c.refusal(s.key.dst, "", "data on the SYN (TCP Fast Open)")
			out.Set(p.ID, c.refuseVerdict())
			return
		}
		if f == nil {
			f = &flow{key: s.key}
			c.flows[s.key] = f
			c.judging.Add(1)
		}
		f.start(s.seq+1, time.Now())
		out.Set(p.ID, nfqueue.Verdict{Action: nfqueue.Accept})
		return
	case f == nil:
		// A connection the check did not see open: the check restarted.
		// Its start was never judged, so it goes no further. (A cut
		// connection, whose conntrack entry is gone, is reset by the rules:
		// a new entry must start with a SYN.)
		c.drop(f)
		c.log.Debug("resetting a connection not judged from its start", "flow", s.key.String())
		out.Set(p.ID, c.refuseVerdict())
		return
	case s.flags&flagRST != 0:
		c.drop(f)
		out.Set(p.ID, nfqueue.Verdict{Action: nfqueue.Accept})
		return
	case len(s.payload) == 0:
		// Acknowledgements and the end of the stream carry no data.
		out.Set(p.ID, nfqueue.Verdict{Action: nfqueue.Accept})
		return
	case s.flags&flagURG != 0:
		// A server reading without SO_OOBINLINE drops the urgent byte, so
		// it would read other bytes than the check judged.
		c.refuse(f, out, "", "urgent data", p.ID)
		return
	}
	c.take(f, s, p.ID, out)
}

// binding is the name a connection was let through for, and since when.
type binding struct {
	name  string
	since time.Time
}

// bind records that the connection of f goes on bound to name.
func (c *Check) bind(f *flow, name string) {
	c.mu.Lock()
	c.bound[f.key] = binding{name: name, since: f.opened}
	c.mu.Unlock()
	if name != "" {
		c.contact(shared.Event{Kind: shared.EventConnAllowed, Name: name, Address: f.key.dst.Addr().String(), Port: int(f.key.dst.Port()), Protocol: "tcp"})
	}
}

// Tick refuses connections whose ClientHello or request head stalls, and
// forgets closed ones (nfqueue.Handler).
func (c *Check) Tick(now time.Time, out *nfqueue.Batch) {
	c.pruneFlows()
	for _, f := range c.flows {
		if len(f.held) > 0 && now.Sub(f.heldSince) > c.cfg.HeadTimeout {
			c.refuse(f, out, f.name, fmt.Sprintf("ClientHello or request head not complete within %s", c.cfg.HeadTimeout))
		}
	}
}

// canonical keeps IPv4 addresses in their 4-byte form.
func canonical(k flowKey) flowKey {
	k.src = netip.AddrPortFrom(k.src.Addr().Unmap(), k.src.Port())
	k.dst = netip.AddrPortFrom(k.dst.Addr().Unmap(), k.dst.Port())
	return k
}

// refuseVerdict sends the packet through the rules again marked refused:
// they save the mark to its connection and answer with a reset.
func (c *Check) refuseVerdict() nfqueue.Verdict {
	return nfqueue.Verdict{Action: nfqueue.Repeat, Mark: c.cfg.Marks.Refused, SetMark: true}
}

// passVerdict sends the packet through the rules again marked passed: they
// save the mark to its connection, whose packets then go on in the kernel.
func (c *Check) passVerdict() nfqueue.Verdict {
	return nfqueue.Verdict{Action: nfqueue.Repeat, Mark: c.cfg.Marks.Passed, SetMark: true}
}

// drop forgets a flow the check holds state for.
func (c *Check) drop(f *flow) {
	if f == nil {
		return
	}
	if _, ok := c.flows[f.key]; ok {
		delete(c.flows, f.key)
		c.judging.Add(-1)
	}
}

func (c *Check) refusal(dst netip.AddrPort, name, reason string) {
	c.refused.Add(1)
	c.log.Debug("connection refused for its name", "name", name, "dst", dst, "reason", reason)
	c.record(shared.Event{
		Kind:     shared.EventNameRefused,
		Name:     name,
		Address:  dst.Addr().String(),
		Port:     int(dst.Port()),
		Protocol: "tcp",
		Reason:   reason,
	})
}
