package dnsfilter

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// fakeUpstream is a resolver on loopback (UDP and TCP on one port) that
// answers from a table and records every question it was asked.
type fakeUpstream struct {
	addr string

	mu      sync.Mutex
	zone    map[string][]dns.RR // "name." or "name. TYPE", lower case
	asked   []string            // "Name. TYPE" as received
	queries []*dns.Msg
	handle  func(w dns.ResponseWriter, r *dns.Msg) bool // true: handled
}

func newUpstream(t testing.TB, zone map[string][]dns.RR) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{zone: zone}
	pc, ln, err := listen(netip.MustParseAddrPort("127.0.0.1:0"))
	require.NoError(t, err)
	u.addr = pc.LocalAddr().String()
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: u}, {Listener: ln, Handler: u}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		go func() { _ = s.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = s.Shutdown() })
	}
	return u
}

func (u *fakeUpstream) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	u.mu.Lock()
	q := r.Question[0]
	u.asked = append(u.asked, q.Name+" "+dns.Type(q.Qtype).String())
	u.queries = append(u.queries, r.Copy())
	handle := u.handle
	key := strings.ToLower(q.Name)
	rrs, ok := u.zone[key+" "+dns.Type(q.Qtype).String()]
	if !ok {
		rrs, ok = u.zone[key]
	}
	u.mu.Unlock()
	if handle != nil && handle(w, r) {
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	if !ok {
		m.Rcode = dns.RcodeNameError
	}
	for _, rr := range rrs {
		switch rr.Header().Rrtype {
		case dns.TypeNS:
			m.Ns = append(m.Ns, rr)
		default:
			m.Answer = append(m.Answer, rr)
		}
	}
	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), opt.Do())
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if opt := r.IsEdns0(); opt != nil {
			size = int(opt.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

func (u *fakeUpstream) Asked() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.asked)
}

func (u *fakeUpstream) Queries() []*dns.Msg {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.queries)
}

func (u *fakeUpstream) setHandler(h func(w dns.ResponseWriter, r *dns.Msg) bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.handle = h
}

// rrs parses records in zone file syntax.
func rrs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	out := make([]dns.RR, 0, len(lines))
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		require.NoError(t, err, l)
		out = append(out, rr)
	}
	return out
}

// fakeAdder records what it is asked to add.
type fakeAdder struct {
	mu    sync.Mutex
	calls []addCall
	err   error
	delay time.Duration
}

type addCall struct {
	Entry shared.Domain
	Addrs []netip.Addr
	TTL   uint32
	Done  time.Time
}

func (a *fakeAdder) Add(entry shared.Domain, addrs []netip.Addr, ttl uint32) (int, error) {
	time.Sleep(a.delay)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, addCall{Entry: entry, Addrs: slices.Clone(addrs), TTL: ttl, Done: time.Now()})
	if a.err != nil {
		return 0, a.err
	}
	return len(addrs), nil
}

// Calls returns the calls without their times, addresses sorted.
func (a *fakeAdder) Calls() []addCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]addCall, len(a.calls))
	for i, c := range a.calls {
		c.Done = time.Time{}
		slices.SortFunc(c.Addrs, func(x, y netip.Addr) int { return x.Compare(y) })
		out[i] = c
	}
	return out
}

// events collects refused events.
type events struct {
	mu  sync.Mutex
	evs []shared.Event
}

func (e *events) record(ev shared.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

// List returns the events without their times.
func (e *events) List() []shared.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := slices.Clone(e.evs)
	for i := range out {
		out[i].Time = time.Time{}
	}
	return out
}

// Blocked is List without the first contacts with allowed names.
func (e *events) Blocked() []shared.Event {
	return slices.DeleteFunc(e.List(), func(ev shared.Event) bool { return ev.Kind.Allowed() })
}

func testConfig(upstreams ...string) Config {
	return Config{
		Listen:       []string{"127.0.0.1:0"},
		Upstreams:    upstreams,
		Timeout:      2 * time.Second, // generous: a loaded machine stalls for hundreds of milliseconds
		HostGateways: []netip.Addr{netip.MustParseAddr("172.17.0.1")},
	}
}

// started is a running filter with its fakes.
type started struct {
	f      *Filter
	addr   string
	adder  *fakeAdder
	events *events
}

func startFilter(t testing.TB, cfg Config, mode shared.Mode, domains ...string) *started {
	t.Helper()
	s := &started{adder: &fakeAdder{}, events: &events{}}
	f, err := New(cfg, s.adder, s.events.record, nil)
	require.NoError(t, err)
	require.NoError(t, f.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, f.Shutdown(ctx))
	})
	ds, err := shared.ParseDomains(domains)
	require.NoError(t, err)
	f.SetPolicy(mode, shared.NewMatcher(ds))
	s.f = f
	s.addr = f.bound[0].String()
	return s
}

func query(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

func withEDNS(m *dns.Msg) *dns.Msg {
	m.SetEdns0(1232, false)
	return m
}

func exchange(t testing.TB, addr, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := dns.Client{Net: network, Timeout: 5 * time.Second, UDPSize: 4096}
	r, _, err := c.Exchange(m, addr)
	require.NoError(t, err)
	return r
}

// answerAddrs lists the A and AAAA addresses of the answer section.
func answerAddrs(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return out
}

func ede(m *dns.Msg) *dns.EDNS0_EDE {
	opt := m.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			return e
		}
	}
	return nil
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// deadPort returns a loopback UDP address nothing listens on.
func deadPort(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc.LocalAddr().String()
	require.NoError(t, pc.Close())
	return addr
}
