package dnsfilter

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func testZone(t *testing.T) map[string][]dns.RR {
	return map[string][]dns.RR{
		"github.com.":          rrs(t, "github.com. 300 IN A 192.0.2.1"),
		"api.github.com.":      rrs(t, "api.github.com. 120 IN A 192.0.2.2", "api.github.com. 60 IN A 192.0.2.3"),
		"api.github.com. AAAA": rrs(t, "api.github.com. 90 IN AAAA 2001:db8::2"),
		"evil.com.":            rrs(t, "evil.com. 300 IN A 198.51.100.66"),
		// A chain leaving the allowed zone, with records that must not count.
		"www.github.com.": rrs(t,
			"other.net. 10 IN A 198.51.100.9", // unrelated, before the chain
			"WWW.GitHub.com. 200 IN CNAME cdn.Fastly.NET.",
			"cdn.fastly.net. 100 IN CNAME edge.fastly.net.",
			"edge.fastly.net. 250 IN A 203.0.113.5",
			"edge.fastly.net. 150 IN A 203.0.113.6",
			"fastly.net. 5 IN NS ns.fastly.net.", // authority section
		),
		"loop.github.com.": rrs(t,
			"loop.github.com. 300 IN CNAME b.example.net.",
			"b.example.net. 300 IN CNAME loop.github.com.",
			"b.example.net. 40 IN A 192.0.2.7",
		),
		"zero.github.com.":   rrs(t, "zero.github.com. 0 IN A 192.0.2.8"),
		"noaddr.github.com.": rrs(t, "noaddr.github.com. 300 IN TXT \"hello\""),
		"gist.github.com.":   rrs(t, "gist.github.com. 300 IN A 192.0.2.9"),
		"x.gist.github.com.": rrs(t, "x.gist.github.com. 300 IN A 192.0.2.10"),
	}
}

func TestServeDNS(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 50) + ".github.com."
	tests := []struct {
		name      string
		mode      shared.Mode
		domains   []string
		net       string
		q         *dns.Msg
		wantRcode int
		wantAddrs []string
		wantAsked []string
		wantAdds  []addCall
		wantEvent *shared.Event
		wantEDE   bool
		wantOPT   bool
	}{{
		name: "allowed name forwarded and added", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.1"},
		wantAsked: []string{"github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.1"), TTL: 300}},
	}, {
		name: "subdomain forwarded, min TTL", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("api.github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.2", "192.0.2.3"},
		wantAsked: []string{"api.github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.2", "192.0.2.3"), TTL: 60}},
	}, {
		name: "AAAA forwarded", mode: shared.ModeRestricted, domains: []string{"*.github.com"},
		q: query("api.github.com.", dns.TypeAAAA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"2001:db8::2"},
		wantAsked: []string{"api.github.com. AAAA"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("2001:db8::2"), TTL: 90}},
	}, {
		name: "case and trailing dot", mode: shared.ModeRestricted, domains: []string{"GitHub.com."},
		q: query("API.GitHub.COM.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.2", "192.0.2.3"},
		wantAsked: []string{"API.GitHub.COM. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.2", "192.0.2.3"), TTL: 60}},
	}, {
		name: "denied name refused and never forwarded", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("Evil.COM.", dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "evil.com", QType: "A", Protocol: "udp"},
	}, {
		name: "denied name with EDNS carries EDE Blocked", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: withEDNS(query("evil.com.", dns.TypeAAAA)), wantRcode: dns.RcodeRefused, wantEDE: true, wantOPT: true,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "evil.com", QType: "AAAA", Protocol: "udp"},
	}, {
		name: "denied over TCP", mode: shared.ModeRestricted, domains: []string{"github.com"}, net: "tcp",
		q: withEDNS(query("evil.com.", dns.TypeA)), wantRcode: dns.RcodeRefused, wantEDE: true, wantOPT: true,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "evil.com", QType: "A", Protocol: "tcp"},
	}, {
		name: "lookalike suffix refused", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("evilgithub.com.", dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "evilgithub.com", QType: "A", Protocol: "udp"},
	}, {
		name: "allowed name as a prefix refused", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("github.com.evil.net.", dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "github.com.evil.net", QType: "A", Protocol: "udp"},
	}, {
		name: "escaped dot refused with the raw name", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query(`evil\.github.com.`, dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: `evil\.github.com.`, QType: "A", Protocol: "udp"},
	}, {
		name: "escaped byte refused", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query(`a\000b.github.com.`, dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: `a\000b.github.com.`, QType: "A", Protocol: "udp"},
	}, {
		name: "longest name forwarded", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query(long, dns.TypeA), wantRcode: dns.RcodeNameError, wantAsked: []string{long + " A"},
	}, {
		name: "multiple questions refused", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: func() *dns.Msg {
			m := query("github.com.", dns.TypeA)
			m.Question = append(m.Question, dns.Question{Name: "evil.com.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
			return m
		}(),
		wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "github.com", QType: "A", Protocol: "udp"},
	}, {
		name: "class CHAOS refused", mode: shared.ModeFull,
		q: func() *dns.Msg {
			m := query("version.bind.", dns.TypeTXT)
			m.Question[0].Qclass = dns.ClassCHAOS
			return m
		}(),
		wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "version.bind", QType: "TXT", Protocol: "udp"},
	}, {
		name: "zone transfer refused", mode: shared.ModeRestricted, domains: []string{"github.com"}, net: "tcp",
		q: query("github.com.", dns.TypeAXFR), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "github.com", QType: "AXFR", Protocol: "tcp"},
	}, {
		name: "update opcode refused", mode: shared.ModeFull,
		q: func() *dns.Msg {
			m := new(dns.Msg)
			m.SetUpdate("github.com.")
			return m
		}(),
		wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "github.com", QType: "SOA", Protocol: "udp"},
	}, {
		name: "CNAME chain followed, off-chain records ignored", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("www.github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess,
		wantAddrs: []string{"198.51.100.9", "203.0.113.5", "203.0.113.6"},
		wantAsked: []string{"www.github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("203.0.113.5", "203.0.113.6"), TTL: 100}},
	}, {
		name: "CNAME loop ends", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("loop.github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.7"},
		wantAsked: []string{"loop.github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.7"), TTL: 40}},
	}, {
		name: "TTL 0 passed on", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("zero.github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.8"},
		wantAsked: []string{"zero.github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.8"), TTL: 0}},
	}, {
		name: "answer without addresses adds nothing", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("noaddr.github.com.", dns.TypeTXT), wantRcode: dns.RcodeSuccess,
		wantAsked: []string{"noaddr.github.com. TXT"},
	}, {
		name: "NXDOMAIN passed on", mode: shared.ModeRestricted, domains: []string{"github.com"},
		q: query("missing.github.com.", dns.TypeA), wantRcode: dns.RcodeNameError,
		wantAsked: []string{"missing.github.com. A"},
	}, {
		name: "allowed over TCP", mode: shared.ModeRestricted, domains: []string{"github.com"}, net: "tcp",
		q: query("github.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.1"},
		wantAsked: []string{"github.com. A"},
		wantAdds:  []addCall{{Entry: "github.com", Addrs: addrs("192.0.2.1"), TTL: 300}},
	}, {
		name: "mode none refuses allowed names", mode: shared.ModeNone, domains: []string{"github.com"},
		q: query("github.com.", dns.TypeA), wantRcode: dns.RcodeRefused,
		wantEvent: &shared.Event{Kind: shared.EventDNSRefused, Name: "github.com", QType: "A", Protocol: "udp"},
	}, {
		name: "mode none answers localhost", mode: shared.ModeNone,
		q: query("localhost.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"127.0.0.1"},
	}, {
		name: "mode none answers host.docker.internal", mode: shared.ModeNone,
		q: query("Host.Docker.Internal.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"172.17.0.1"},
	}, {
		name: "host.docker.internal AAAA without a v6 gateway is empty", mode: shared.ModeRestricted,
		q: query("host.docker.internal.", dns.TypeAAAA), wantRcode: dns.RcodeSuccess,
	}, {
		name: "name under localhost", mode: shared.ModeRestricted,
		q: withEDNS(query("app.LOCALHOST.", dns.TypeAAAA)), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"::1"}, wantOPT: true,
	}, {
		name: "other types of local names are empty", mode: shared.ModeFull,
		q: query("localhost.", dns.TypeMX), wantRcode: dns.RcodeSuccess,
	}, {
		name: "mode full forwards without adding", mode: shared.ModeFull,
		q: query("evil.com.", dns.TypeA), wantRcode: dns.RcodeSuccess, wantAddrs: []string{"198.51.100.66"},
		wantAsked: []string{"evil.com. A"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, testZone(t))
			s := startFilter(t, testConfig(up.addr), tt.mode, tt.domains...)
			network := tt.net
			if network == "" {
				network = "udp"
			}
			r := exchange(t, s.addr, network, tt.q)

			require.Equal(t, dns.RcodeToString[tt.wantRcode], dns.RcodeToString[r.Rcode])
			require.Equal(t, tt.q.Id, r.Id)
			require.ElementsMatch(t, tt.wantAddrs, answerAddrs(r))
			require.Equal(t, tt.wantAsked, up.Asked())
			require.Equal(t, tt.wantAdds, nilIfEmpty(s.adder.Calls()))
			if tt.wantEvent != nil {
				require.Equal(t, []shared.Event{*tt.wantEvent}, s.events.Blocked())
			} else {
				require.Empty(t, s.events.Blocked())
			}
			require.Equal(t, tt.wantOPT, r.IsEdns0() != nil, "OPT in the answer")
			if tt.wantEDE {
				e := ede(r)
				require.NotNil(t, e)
				require.Equal(t, dns.ExtendedErrorCodeBlocked, e.InfoCode)
				require.Equal(t, "Blocked", e.ExtraText)
			}
		})
	}
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestCounters(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	exchange(t, s.addr, "udp", query("evil.com.", dns.TypeA))
	exchange(t, s.addr, "udp", query("localhost.", dns.TypeA))
	require.Equal(t, shared.DNSCounters{Allowed: 1, Refused: 1, Forwarded: 1, Local: 1}, s.f.Counters())
}

// The agent must not learn an address before the firewall lets it through.
func TestAddressesAddedBeforeReply(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	s.adder.delay = 100 * time.Millisecond
	r := exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	got := time.Now()
	require.Equal(t, []string{"192.0.2.1"}, answerAddrs(r))
	s.adder.mu.Lock()
	defer s.adder.mu.Unlock()
	require.Len(t, s.adder.calls, 1)
	require.True(t, s.adder.calls[0].Done.Before(got), "Add returned after the reply arrived")
}

func TestAddFailureIsServfail(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	s.adder.err = errors.New("set full")
	for _, q := range []*dns.Msg{query("github.com.", dns.TypeA), withEDNS(query("github.com.", dns.TypeA))} {
		r := exchange(t, s.addr, "udp", q)
		require.Equal(t, dns.RcodeServerFailure, r.Rcode)
		require.Empty(t, r.Answer, "no address may reach the agent")
	}
}

// A deny entry beats the allow entry above it: the agent asks for a name
// under github.com that the user denied, and the question never leaves.
func TestDenyEntryRefusesSubdomainOfAllowedName(t *testing.T) {
	for _, name := range []string{"gist.github.com.", "X.Gist.GitHub.com."} {
		t.Run(name, func(t *testing.T) {
			// Without the deny entry the name is forwarded: the attack works.
			up := newUpstream(t, testZone(t))
			s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
			require.Equal(t, dns.RcodeSuccess, exchange(t, s.addr, "udp", query(name, dns.TypeA)).Rcode)
			require.Equal(t, []string{name + " A"}, up.Asked())

			up = newUpstream(t, testZone(t))
			s = startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com", "!gist.github.com")
			for _, network := range []string{"udp", "tcp"} {
				for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeTXT} {
					r := exchange(t, s.addr, network, withEDNS(query(name, qtype)))
					require.Equal(t, "REFUSED", dns.RcodeToString[r.Rcode], "%s %s", network, dns.TypeToString[qtype])
					require.Equal(t, dns.ExtendedErrorCodeBlocked, ede(r).InfoCode)
					require.Empty(t, r.Answer)
				}
			}
			require.Empty(t, up.Asked(), "a denied name is never sent upstream")
			require.Empty(t, s.adder.Calls(), "nor given addresses")
			evs := s.events.List()
			require.Len(t, evs, 6)
			for _, ev := range evs {
				require.Equal(t, shared.EventDNSRefused, ev.Kind)
				require.Equal(t, strings.ToLower(strings.TrimSuffix(name, ".")), ev.Name)
			}

			// The parent and its other names stay allowed.
			r := exchange(t, s.addr, "udp", query("api.github.com.", dns.TypeA))
			require.Equal(t, dns.RcodeSuccess, r.Rcode)
			r = exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
			require.Equal(t, []string{"192.0.2.1"}, answerAddrs(r))
			require.Equal(t, []string{"api.github.com. A", "github.com. A"}, up.Asked())
		})
	}
}

// A mode switch or allowlist edit applies to the next query.
func TestSetPolicy(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	ask := func() int { return exchange(t, s.addr, "udp", query("evil.com.", dns.TypeA)).Rcode }
	steps := []struct {
		mode    shared.Mode
		domains []string
		want    int
	}{
		{shared.ModeRestricted, []string{"github.com"}, dns.RcodeRefused},
		{shared.ModeRestricted, []string{"github.com", "evil.com"}, dns.RcodeSuccess},
		{shared.ModeNone, []string{"github.com", "evil.com"}, dns.RcodeRefused},
		{shared.ModeFull, nil, dns.RcodeSuccess},
		{shared.ModeRestricted, nil, dns.RcodeRefused},
		{shared.Mode("bogus"), nil, dns.RcodeRefused},
	}
	for _, st := range steps {
		ds, err := shared.ParseDomains(st.domains)
		require.NoError(t, err)
		s.f.SetPolicy(st.mode, shared.NewMatcher(ds))
		require.Equal(t, dns.RcodeToString[st.want], dns.RcodeToString[ask()], "mode %s %v", st.mode, st.domains)
	}
}

func TestStartsInModeNone(t *testing.T) {
	up := newUpstream(t, testZone(t))
	f, err := New(testConfig(up.addr), &fakeAdder{}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, f.Start())
	t.Cleanup(func() { _ = f.Shutdown(t.Context()) })
	r := exchange(t, f.bound[0].String(), "udp", query("github.com.", dns.TypeA))
	require.Equal(t, dns.RcodeRefused, r.Rcode)
	require.Empty(t, up.Asked())
}

// Options a client attaches (cookies, client subnet, padding) could carry
// data; only the buffer size and DO bit go upstream.
func TestQueryRebuiltForUpstream(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	q := query("github.com.", dns.TypeA)
	q.CheckingDisabled = true
	q.SetEdns0(65000, true)
	opt := q.IsEdns0()
	opt.Option = append(opt.Option,
		&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"},
		&dns.EDNS0_LOCAL{Code: 65001, Data: []byte("secret data")})
	r := exchange(t, s.addr, "udp", q)
	require.Equal(t, dns.RcodeSuccess, r.Rcode)
	sent := up.Queries()
	require.Len(t, sent, 1)
	got := sent[0]
	require.True(t, got.RecursionDesired)
	require.True(t, got.CheckingDisabled)
	require.NotEqual(t, q.Id, got.Id, "the upstream ID is the filter's own")
	require.Len(t, got.Extra, 1)
	gotOpt := got.IsEdns0()
	require.NotNil(t, gotOpt)
	require.Empty(t, gotOpt.Option)
	require.True(t, gotOpt.Do())
	require.Equal(t, uint16(maxUDP), gotOpt.UDPSize())
}

// A name too long for DNS cannot be parsed; the client gets FORMERR and
// nothing goes upstream.
func TestOverlongNameNeverForwarded(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeFull)
	raw := []byte{0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}
	for range 5 { // 5 labels of 63 bytes: 320 bytes of name, over the 255 limit
		raw = append(raw, 63)
		raw = append(raw, []byte(strings.Repeat("x", 63))...)
	}
	raw = append(raw, 0, 0, 1, 0, 1)
	conn, err := dns.Dial("udp", s.addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(raw)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(2*time.Second)))
	r, err := conn.ReadMsg()
	require.NoError(t, err)
	require.Equal(t, dns.RcodeFormatError, r.Rcode)
	require.Empty(t, up.Asked())
}
