package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/warden-sh/warden/shared"
)

// Adder lets the agent reach the addresses an allowed name resolved to.
// It is called before the answer reaches the agent and must be safe for
// concurrent use; it filters out addresses that are not public itself.
type Adder interface {
	Add(entry shared.Domain, addrs []netip.Addr, ttl uint32) (int, error)
}

// Filter is the DNS server that enforces a policy on names.
type Filter struct {
	cfg       parsedConfig
	adder     Adder
	onRefused func(shared.Event)
	log       *slog.Logger
	local     localNames
	fwd       *forwarder
	policy    atomic.Pointer[policy]
	counters  counters
	contacts  contacts

	// Warnings about failures that repeat on every query are rate limited.
	addWarn, upstreamWarn rateLimit

	mu      sync.Mutex
	servers []*dns.Server
	started bool
	bound   []net.Addr // the UDP addresses bound (ports chosen for port 0)
}

type policy struct {
	mode    shared.Mode
	matcher *shared.Matcher
}

// New checks cfg and opens the marked upstream sockets. The filter starts in
// mode none (only local names answered) until SetPolicy says otherwise.
// onRefused, if not nil, is called on the query's goroutine for every
// refused query, and for the first successful answer to each allowed name
// (a dns-allowed event: the audit log's first contact), and must not block.
func New(cfg Config, adder Adder, onRefused func(shared.Event), log *slog.Logger) (*Filter, error) {
	if adder == nil {
		return nil, errors.New("creating DNS filter: no Adder")
	}
	pc, err := cfg.parse()
	if err != nil {
		return nil, fmt.Errorf("creating DNS filter: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Filter{
		cfg:       pc,
		adder:     adder,
		onRefused: onRefused,
		log:       log.With("component", "dnsfilter"),
		local:     newLocalNames(pc.HostGateways),
	}
	if onRefused != nil && !pc.NoFirstContacts {
		f.contacts = newContacts()
	}
	f.policy.Store(&policy{mode: shared.ModeNone})
	if f.fwd, err = newForwarder(pc, &f.counters, f.log); err != nil {
		return nil, fmt.Errorf("creating DNS filter: %w", err)
	}
	return f, nil
}

// SetPolicy switches the policy for every query that starts after it
// returns. m is used only in restricted mode and must not change afterwards.
func (f *Filter) SetPolicy(mode shared.Mode, m *shared.Matcher) {
	f.policy.Store(&policy{mode: mode, matcher: m})
}

// Counters reports the filter's decisions since New.
func (f *Filter) Counters() shared.DNSCounters {
	c := f.counters.snapshot()
	c.FirstContactsDeferred = f.contacts.deferred.Load()
	return c
}

// ServeDNS judges one query; see the package doc for the order of checks.
func (f *Filter) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery {
		f.refuse(w, req, tcp)
		return
	}
	q := req.Question[0]
	if q.Qclass != dns.ClassINET || q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		f.refuse(w, req, tcp)
		return
	}
	name, valid := shared.NormalizeQueryName(q.Name)
	if valid {
		if addrs, ok := f.local.addrs(name, q.Qtype); ok {
			f.counters.local.Add(1)
			_ = w.WriteMsg(localReply(req, addrs))
			return
		}
	}
	p := f.policy.Load()
	switch p.mode {
	case shared.ModeFull:
		f.forward(w, req, tcp, "", false)
		return
	case shared.ModeRestricted:
		if entry, ok := p.matcher.Lookup(name); valid && ok {
			f.forward(w, req, tcp, entry, true)
			return
		}
	}
	f.refuse(w, req, tcp)
}

// refuse answers REFUSED and records the attempt (before answering, so the
// event is visible once the agent has its answer); nothing goes upstream.
func (f *Filter) refuse(w dns.ResponseWriter, req *dns.Msg, tcp bool) {
	f.counters.refused.Add(1)
	if f.onRefused != nil {
		f.onRefused(refusedEvent(req, tcp))
	}
	_ = w.WriteMsg(refusedReply(req))
}

func refusedEvent(req *dns.Msg, tcp bool) shared.Event {
	ev := shared.Event{Time: time.Now(), Kind: shared.EventDNSRefused, Protocol: "udp"}
	if tcp {
		ev.Protocol = "tcp"
	}
	if len(req.Question) > 0 {
		q := req.Question[0]
		ev.QType = dns.Type(q.Qtype).String()
		ev.Name = q.Name
		if name, ok := shared.NormalizeQueryName(q.Name); ok {
			ev.Name = name
		}
	}
	return ev
}

// forward relays an allowed query upstream and the reply back. With add set,
// the addresses of the reply's chain are added first, and if that fails the
// agent gets SERVFAIL instead of an address it could not reach.
func (f *Filter) forward(w dns.ResponseWriter, req *dns.Msg, tcp bool, entry shared.Domain, add bool) {
	f.counters.allowed.Add(1)
	query, err := upstreamQuery(req)
	if err != nil {
		_ = w.WriteMsg(upstreamFailedReply(req))
		return
	}
	raw, err := f.fwd.exchange(context.Background(), query, tcp)
	if err != nil {
		if f.upstreamWarn.allow() {
			f.log.Warn("answering SERVFAIL: no upstream answered", "name", req.Question[0].Name, "error", err)
		}
		_ = w.WriteMsg(upstreamFailedReply(req))
		return
	}
	var addrs []netip.Addr
	if add {
		if addrs, err = f.addAnswer(entry, req.Question[0].Name, raw); err != nil {
			f.warnAdd(entry, err)
			_ = w.WriteMsg(addFailedReply(req))
			return
		}
	}
	f.reportContact(req, tcp, raw, addrs, add)
	setMsgID(raw, req.Id)
	f.counters.forwarded.Add(1)
	_, _ = w.Write(raw)
}

// addAnswer adds the addresses reached through the CNAME chain from qname,
// and returns them.
func (f *Filter) addAnswer(entry shared.Domain, qname string, raw []byte) ([]netip.Addr, error) {
	rrs, err := parseAnswers(raw)
	if err != nil {
		return nil, fmt.Errorf("reading upstream answer: %w", err)
	}
	addrs, ttl := chainAddrs(qname, rrs)
	if len(addrs) == 0 {
		return nil, nil
	}
	if _, err := f.adder.Add(entry, addrs, ttl); err != nil {
		return nil, fmt.Errorf("adding addresses of %s: %w", entry, err)
	}
	return addrs, nil
}

func (f *Filter) warnAdd(entry shared.Domain, err error) {
	if f.addWarn.allow() {
		f.log.Warn("answering SERVFAIL: the answer's addresses could not be allowed", "entry", string(entry), "error", err)
	}
}
