package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// rawUpstream is a UDP resolver whose replies the test writes by hand.
func rawUpstream(t *testing.T, serve func(pc net.PacketConn, from net.Addr, q *dns.Msg)) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) == nil {
				go serve(pc, from, q)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func answerA(q *dns.Msg, addr string) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	rr, err := dns.NewRR(fmt.Sprintf("%s 300 IN A %s", q.Question[0].Name, addr))
	if err != nil {
		panic(err)
	}
	m.Answer = []dns.RR{rr}
	return m
}

func send(pc net.PacketConn, to net.Addr, m *dns.Msg) {
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	_, _ = pc.WriteTo(b, to)
}

func TestUpstreamFailures(t *testing.T) {
	blackHole, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = blackHole.Close() })

	tests := []struct {
		name       string
		upstreams  func(t *testing.T) []string
		net        string
		timeout    time.Duration
		wantRcode  int
		wantErrors uint64
		minTime    time.Duration
		maxTime    time.Duration
	}{{
		name:      "upstream down",
		upstreams: func(t *testing.T) []string { return []string{deadPort(t)} },
		timeout:   5 * time.Second,
		wantRcode: dns.RcodeServerFailure, wantErrors: 1,
		maxTime: 2 * time.Second, // the port-unreachable error ends the wait early
	}, {
		name:      "upstream down, TCP client",
		upstreams: func(t *testing.T) []string { return []string{deadPort(t)} },
		net:       "tcp", timeout: 5 * time.Second,
		wantRcode: dns.RcodeServerFailure, wantErrors: 1,
		maxTime: 2 * time.Second,
	}, {
		name:      "upstream silent",
		upstreams: func(t *testing.T) []string { return []string{blackHole.LocalAddr().String()} },
		timeout:   300 * time.Millisecond,
		wantRcode: dns.RcodeServerFailure, wantErrors: 1,
		minTime: 300 * time.Millisecond, maxTime: 3 * time.Second,
	}, {
		name: "first upstream down, second answers",
		upstreams: func(t *testing.T) []string {
			return []string{deadPort(t), newUpstream(t, testZone(t)).addr}
		},
		timeout:   5 * time.Second,
		wantRcode: dns.RcodeSuccess, wantErrors: 1,
		maxTime: 2 * time.Second,
	}, {
		name: "first upstream silent, second answers",
		upstreams: func(t *testing.T) []string {
			return []string{blackHole.LocalAddr().String(), newUpstream(t, testZone(t)).addr}
		},
		timeout:   300 * time.Millisecond,
		wantRcode: dns.RcodeSuccess, wantErrors: 1,
		minTime: 300 * time.Millisecond, maxTime: 3 * time.Second,
	}, {
		name: "first upstream down, second answers, TCP client",
		upstreams: func(t *testing.T) []string {
			return []string{deadPort(t), newUpstream(t, testZone(t)).addr}
		},
		net: "tcp", timeout: 5 * time.Second,
		wantRcode: dns.RcodeSuccess, wantErrors: 1,
		maxTime: 2 * time.Second,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(tt.upstreams(t)...)
			cfg.Timeout = tt.timeout
			s := startFilter(t, cfg, shared.ModeRestricted, "github.com")
			network := tt.net
			if network == "" {
				network = "udp"
			}
			start := time.Now()
			r := exchange(t, s.addr, network, withEDNS(query("github.com.", dns.TypeA)))
			took := time.Since(start)
			require.GreaterOrEqual(t, took, tt.minTime)
			require.Less(t, took, tt.maxTime)
			require.Equal(t, dns.RcodeToString[tt.wantRcode], dns.RcodeToString[r.Rcode])
			require.Equal(t, tt.wantErrors, s.f.Counters().UpstreamErrors)
			if tt.wantRcode == dns.RcodeServerFailure {
				require.Empty(t, s.adder.Calls())
				require.Equal(t, dns.ExtendedErrorCodeNetworkError, ede(r).InfoCode)
				return
			}
			// The upstream that answered is asked first from now on.
			r = exchange(t, s.addr, network, query("github.com.", dns.TypeA))
			require.Equal(t, dns.RcodeSuccess, r.Rcode)
			require.Equal(t, tt.wantErrors, s.f.Counters().UpstreamErrors)
		})
	}
}

func TestTruncation(t *testing.T) {
	var big []string
	for i := range 100 {
		big = append(big, fmt.Sprintf("big.github.com. 300 IN A 192.0.2.%d", i+1))
	}
	up := newUpstream(t, map[string][]dns.RR{"big.github.com.": rrs(t, big...)})

	t.Run("UDP client gets the truncated answer as is", func(t *testing.T) {
		s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
		r := exchange(t, s.addr, "udp", query("big.github.com.", dns.TypeA))
		require.True(t, r.Truncated)
		require.Equal(t, dns.RcodeSuccess, r.Rcode)
		// Whatever the agent saw was allowed first.
		var added []string
		for _, c := range s.adder.Calls() {
			for _, a := range c.Addrs {
				added = append(added, a.String())
			}
		}
		require.Subset(t, added, answerAddrs(r))
	})
	t.Run("TCP client gets the whole answer", func(t *testing.T) {
		s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
		r := exchange(t, s.addr, "tcp", query("big.github.com.", dns.TypeA))
		require.False(t, r.Truncated)
		require.Len(t, r.Answer, 100)
		calls := s.adder.Calls()
		require.Len(t, calls, 1)
		require.Len(t, calls[0].Addrs, 100)
	})
}

// Replies that do not answer the query asked, or that arrive from anywhere
// but the upstream, must never reach the agent nor the address sets.
func TestForgedReplies(t *testing.T) {
	tests := []struct {
		name      string
		serve     func(pc net.PacketConn, from net.Addr, q *dns.Msg)
		wantRcode int
		wantAddrs []string
		wantForge uint64
	}{{
		name: "wrong ID first, then the real reply",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			forged := answerA(q, "198.51.100.66")
			forged.Id++
			send(pc, from, forged)
			time.Sleep(20 * time.Millisecond)
			send(pc, from, answerA(q, "192.0.2.1"))
		},
		wantRcode: dns.RcodeServerFailure, wantForge: 1,
	}, {
		name: "right ID, other question",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			other := q.Copy()
			other.Question[0].Name = "evil.com."
			send(pc, from, answerA(other, "198.51.100.66"))
		},
		wantRcode: dns.RcodeServerFailure, wantForge: 1,
	}, {
		name: "right ID, other type",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			other := q.Copy()
			other.Question[0].Qtype = dns.TypeAAAA
			send(pc, from, answerA(other, "198.51.100.66"))
		},
		wantRcode: dns.RcodeServerFailure, wantForge: 1,
	}, {
		name: "not a response",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			m := answerA(q, "198.51.100.66")
			m.Response = false
			send(pc, from, m)
		},
		wantRcode: dns.RcodeServerFailure, wantForge: 1,
	}, {
		name: "question name in other case is fine",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			m := answerA(q, "192.0.2.1")
			m.Question[0].Name = "GITHUB.com."
			send(pc, from, m)
		},
		wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.1"},
	}, {
		name: "right ID and question from another socket",
		serve: func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
			other, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			defer other.Close()
			send(other, from, answerA(q, "198.51.100.66"))
			time.Sleep(20 * time.Millisecond)
			send(pc, from, answerA(q, "192.0.2.1"))
		},
		wantRcode: dns.RcodeSuccess, wantAddrs: []string{"192.0.2.1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := rawUpstream(t, tt.serve)
			s := startFilter(t, testConfig(up), shared.ModeRestricted, "github.com")
			r := exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
			require.Equal(t, dns.RcodeToString[tt.wantRcode], dns.RcodeToString[r.Rcode])
			require.Equal(t, tt.wantAddrs, nilIfEmpty(answerAddrs(r)))
			require.Equal(t, tt.wantForge, s.f.counters.forged.Load())
			for _, c := range s.adder.Calls() {
				require.Equal(t, addrs("192.0.2.1"), c.Addrs)
			}
		})
	}
}

// A reply that arrives after its query was given up on is dropped quietly;
// it must not fail the queries still waiting on the socket.
func TestLateReplyIsNotForgery(t *testing.T) {
	up := rawUpstream(t, func(pc net.PacketConn, from net.Addr, q *dns.Msg) {
		if q.Question[0].Name == "slow.github.com." {
			time.Sleep(500 * time.Millisecond)
		} else {
			time.Sleep(250 * time.Millisecond)
		}
		send(pc, from, answerA(q, "192.0.2.1"))
	})
	cfg := testConfig(up)
	cfg.Timeout = 350 * time.Millisecond
	// One socket per upstream makes both queries share it.
	defaultSize := poolSize
	poolSize = func() int { return 1 }
	t.Cleanup(func() { poolSize = defaultSize })
	s := startFilter(t, cfg, shared.ModeRestricted, "github.com")

	r := exchange(t, s.addr, "udp", query("slow.github.com.", dns.TypeA))
	require.Equal(t, dns.RcodeServerFailure, r.Rcode) // timed out at 350ms
	r = exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	require.Equal(t, dns.RcodeSuccess, r.Rcode) // the slow reply came at 500ms, while this one waited
	require.Zero(t, s.f.counters.forged.Load())
}

func TestResolve(t *testing.T) {
	var big []string
	for i := range 100 {
		big = append(big, fmt.Sprintf("big.example.org. 300 IN A 192.0.2.%d", i+1))
	}
	zone := map[string][]dns.RR{
		"github.com. A": rrs(t, "github.com. 300 IN A 192.0.2.1"),
		"github.com. AAAA": rrs(t,
			"github.com. 100 IN CNAME gh.example.net.",
			"gh.example.net. 200 IN AAAA 2001:db8::1"),
		"empty.example.org.":    nil,
		"big.example.org. A":    rrs(t, big...),
		"big.example.org. AAAA": nil,
	}
	up := newUpstream(t, zone)
	up.setHandler(func(w dns.ResponseWriter, r *dns.Msg) bool {
		if r.Question[0].Name != "broken.example.org." {
			return false
		}
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
		return true
	})
	tests := []struct {
		name      string
		entry     shared.Domain
		upstream  string
		wantErr   string
		wantCalls []addCall
	}{{
		name: "A and AAAA added", entry: "github.com", upstream: up.addr,
		wantCalls: []addCall{
			{Entry: "github.com", Addrs: addrs("192.0.2.1"), TTL: 300},
			{Entry: "github.com", Addrs: addrs("2001:db8::1"), TTL: 100},
		},
	}, {
		name: "no such name", entry: "missing.example.org", upstream: up.addr,
	}, {
		name: "no addresses", entry: "empty.example.org", upstream: up.addr,
	}, {
		name: "truncated answer asked again over TCP", entry: "big.example.org", upstream: up.addr,
		wantCalls: []addCall{{Entry: "big.example.org", Addrs: func() (a []netip.Addr) {
			for i := range 100 {
				a = append(a, netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}))
			}
			return a
		}(), TTL: 300}},
	}, {
		name: "upstream failure", entry: "broken.example.org", upstream: up.addr,
		wantErr: "resolving broken.example.org A: upstream answered SERVFAIL",
	}, {
		name: "upstream down", entry: "github.com", upstream: deadPort(t),
		wantErr: "resolving github.com A: upstream",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adder := &fakeAdder{}
			f, err := New(testConfig(tt.upstream), adder, nil, nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Shutdown(t.Context()) })
			err = f.Resolve(t.Context(), tt.entry)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Empty(t, adder.Calls())
				return
			}
			require.NoError(t, err)
			require.ElementsMatch(t, tt.wantCalls, adder.Calls())
		})
	}

	t.Run("add failure", func(t *testing.T) {
		f, err := New(testConfig(up.addr), &fakeAdder{err: errors.New("set full")}, nil, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Shutdown(t.Context()) })
		require.ErrorContains(t, f.Resolve(t.Context(), "github.com"), "set full")
	})
	t.Run("context ends the wait", func(t *testing.T) {
		blackHole, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer blackHole.Close()
		cfg := testConfig(blackHole.LocalAddr().String())
		cfg.Timeout = time.Minute
		f, err := New(cfg, &fakeAdder{}, nil, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Shutdown(t.Context()) })
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, f.Resolve(ctx, "github.com"), context.DeadlineExceeded)
	})
}
