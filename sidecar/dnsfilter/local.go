package dnsfilter

import (
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// hostName is how the agent reaches the host in every mode.
const hostName = "host.docker.internal"

// localTTL is short: the gateway can change when the sidecar restarts.
const localTTL = 60

var (
	loopback4 = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	loopback6 = []netip.Addr{netip.IPv6Loopback()}
)

// localNames answers names that never leave the sidecar.
type localNames struct {
	host4, host6 []netip.Addr
}

func newLocalNames(gateways []netip.Addr) localNames {
	var l localNames
	for _, g := range gateways {
		if g = g.Unmap(); g.Is4() {
			l.host4 = append(l.host4, g)
		} else {
			l.host6 = append(l.host6, g)
		}
	}
	return l
}

// addrs reports whether name (normalised) is a local name and, if so, its
// addresses for qtype; other query types get an empty NOERROR answer.
func (l localNames) addrs(name string, qtype uint16) ([]netip.Addr, bool) {
	var v4, v6 []netip.Addr
	switch {
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		v4, v6 = loopback4, loopback6
	case name == hostName:
		v4, v6 = l.host4, l.host6
	default:
		return nil, false
	}
	switch qtype {
	case dns.TypeA:
		return v4, true
	case dns.TypeAAAA:
		return v6, true
	}
	return nil, true
}

// localReply builds the answer to req from addrs.
func localReply(req *dns.Msg, addrs []netip.Addr) *dns.Msg {
	m := reply(req, dns.RcodeSuccess)
	m.Authoritative = true
	q := req.Question[0]
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: localTTL}
	for _, a := range addrs {
		if a.Is4() {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IP(a.AsSlice())})
		} else {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
		}
	}
	return m
}
