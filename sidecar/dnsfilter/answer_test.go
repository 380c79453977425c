package dnsfilter

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

func TestChainAddrs(t *testing.T) {
	var longChain []string
	for i := range 20 {
		longChain = append(longChain, fmt.Sprintf("c%d.example.net. 300 IN CNAME c%d.example.net.", i, i+1))
	}
	longChain = append(longChain,
		"c16.example.net. 300 IN A 192.0.2.16", // 16 links from c0: reached
		"c17.example.net. 300 IN A 192.0.2.17", // 17 links: past the cap
	)
	tests := []struct {
		name              string
		qname             string
		answer, ns, extra []string
		wantAddrs         []string
		wantTTL           uint32
	}{{
		name: "plain A", qname: "a.example.com.",
		answer:    []string{"a.example.com. 30 IN A 192.0.2.1"},
		wantAddrs: []string{"192.0.2.1"}, wantTTL: 30,
	}, {
		name: "A and AAAA, duplicates once, min TTL", qname: "a.example.com.",
		answer: []string{
			"a.example.com. 30 IN A 192.0.2.1",
			"a.example.com. 20 IN AAAA 2001:db8::1",
			"a.example.com. 90 IN A 192.0.2.1",
		},
		wantAddrs: []string{"192.0.2.1", "2001:db8::1"}, wantTTL: 20,
	}, {
		name: "question name in other case", qname: "A.Example.COM.",
		answer:    []string{"a.example.com. 30 IN A 192.0.2.1"},
		wantAddrs: []string{"192.0.2.1"}, wantTTL: 30,
	}, {
		name: "question without trailing dot", qname: "a.example.com",
		answer:    []string{"a.example.com. 30 IN A 192.0.2.1"},
		wantAddrs: []string{"192.0.2.1"}, wantTTL: 30,
	}, {
		name: "CNAME chain in any order and case, CNAME TTL counts", qname: "www.example.com.",
		answer: []string{
			"EDGE.cdn.net. 300 IN A 203.0.113.5",
			"mid.cdn.net. 7 IN CNAME Edge.CDN.net.",
			"WWW.example.com. 300 IN CNAME mid.cdn.net.",
		},
		wantAddrs: []string{"203.0.113.5"}, wantTTL: 7,
	}, {
		name: "records off the chain ignored", qname: "www.example.com.",
		answer: []string{
			"www.example.com. 300 IN CNAME edge.cdn.net.",
			"edge.cdn.net. 300 IN A 203.0.113.5",
			"evil.net. 1 IN A 198.51.100.66",
			"evil.net. 1 IN CNAME edge.cdn.net.",
			"cdn.net. 1 IN A 198.51.100.67",
		},
		wantAddrs: []string{"203.0.113.5"}, wantTTL: 300,
	}, {
		name: "authority and additional sections ignored", qname: "www.example.com.",
		answer: []string{"www.example.com. 300 IN CNAME edge.cdn.net."},
		ns:     []string{"edge.cdn.net. 300 IN A 198.51.100.66", "example.com. 300 IN NS ns.example.com."},
		extra: []string{
			"www.example.com. 300 IN A 198.51.100.67",
			"edge.cdn.net. 300 IN CNAME other.net.",
			"ns.example.com. 300 IN A 198.51.100.68",
		},
	}, {
		name: "loop ends", qname: "a.example.com.",
		answer: []string{
			"a.example.com. 50 IN CNAME b.example.com.",
			"b.example.com. 60 IN CNAME a.example.com.",
			"b.example.com. 70 IN A 192.0.2.2",
		},
		wantAddrs: []string{"192.0.2.2"}, wantTTL: 50,
	}, {
		name: "self loop", qname: "a.example.com.",
		answer:    []string{"a.example.com. 50 IN CNAME a.example.com.", "a.example.com. 70 IN A 192.0.2.2"},
		wantAddrs: []string{"192.0.2.2"}, wantTTL: 70,
	}, {
		name: "chain capped", qname: "c0.example.net.",
		answer:    longChain,
		wantAddrs: []string{"192.0.2.16"}, wantTTL: 300,
	}, {
		name: "first CNAME of an owner wins", qname: "a.example.com.",
		answer: []string{
			"a.example.com. 300 IN CNAME b.example.com.",
			"a.example.com. 300 IN CNAME c.example.com.",
			"b.example.com. 300 IN A 192.0.2.2",
			"c.example.com. 300 IN A 192.0.2.3",
		},
		wantAddrs: []string{"192.0.2.2"}, wantTTL: 300,
	}, {
		name: "other classes and types ignored", qname: "a.example.com.",
		answer: []string{
			"a.example.com. 300 CH A 192.0.2.9",
			"a.example.com. 300 IN DNAME b.example.com.",
			"a.example.com. 300 IN TXT \"192.0.2.10\"",
			"a.example.com. 300 IN A 192.0.2.1",
		},
		wantAddrs: []string{"192.0.2.1"}, wantTTL: 300,
	}, {
		name: "TTL 0", qname: "a.example.com.",
		answer:    []string{"a.example.com. 0 IN A 192.0.2.1", "a.example.com. 300 IN A 192.0.2.2"},
		wantAddrs: []string{"192.0.2.1", "192.0.2.2"}, wantTTL: 0,
	}, {
		name: "no addresses", qname: "a.example.com.",
		answer: []string{"a.example.com. 300 IN CNAME b.example.com."},
	}}
	for _, tt := range tests {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/compress=%v", tt.name, compress), func(t *testing.T) {
				m := new(dns.Msg)
				m.SetQuestion(dns.Fqdn(tt.qname), dns.TypeA)
				m.Response = true
				m.Compress = compress
				m.Answer = rrs(t, tt.answer...)
				m.Ns = rrs(t, tt.ns...)
				m.Extra = rrs(t, tt.extra...)
				wire, err := m.Pack()
				require.NoError(t, err)

				records, err := parseAnswers(wire)
				require.NoError(t, err)
				got, ttl := chainAddrs(tt.qname, records)
				var gotS []string
				for _, a := range got {
					gotS = append(gotS, a.String())
				}
				require.ElementsMatch(t, tt.wantAddrs, gotS)
				require.Equal(t, tt.wantTTL, ttl)
			})
		}
	}
}

func TestParseAnswersMalformed(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("a.example.com.", dns.TypeA)
	m.Answer = rrs(t, "a.example.com. 300 IN CNAME b.example.com.", "b.example.com. 300 IN A 192.0.2.1")
	wire, err := m.Pack()
	require.NoError(t, err)
	for n := 0; n < len(wire); n++ {
		_, err := parseAnswers(wire[:n])
		require.Error(t, err, "cut at %d of %d", n, len(wire))
	}
	_, err = parseAnswers(wire)
	require.NoError(t, err)
}

// FuzzParseAnswers checks the hand-written answer reader against miekg/dns:
// never a panic, and every address it finds is one the library finds too.
func FuzzParseAnswers(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("www.example.com.", dns.TypeA)
	m.Compress = true
	m.Answer = rrs(f,
		"www.example.com. 300 IN CNAME edge.cdn.net.",
		"edge.cdn.net. 300 IN A 203.0.113.5",
		"edge.cdn.net. 300 IN AAAA 2001:db8::5")
	wire, err := m.Pack()
	require.NoError(f, err)
	f.Add(wire)
	f.Fuzz(func(t *testing.T, b []byte) {
		records, err := parseAnswers(b)
		if err != nil {
			return
		}
		var lib dns.Msg
		if lib.Unpack(b) != nil {
			return
		}
		want := map[netip.Addr]bool{}
		for _, rr := range lib.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				a, _ := netip.AddrFromSlice(rr.A.To4())
				want[a] = true
			case *dns.AAAA:
				a, _ := netip.AddrFromSlice(rr.AAAA)
				want[a] = true
			}
		}
		for _, r := range records {
			if r.addr.IsValid() && !want[r.addr] {
				t.Fatalf("address %s not in the library's reading", r.addr)
			}
		}
	})
}
