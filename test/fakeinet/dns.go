package fakeinet

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// DNS answers authoritatively from a Zone and records every question.
type DNS struct {
	Zone Zone
	TTLs TTLs
	// Fixed, when valid, answers every A question with this address, as a
	// recursive resolver that knows every name would.
	Fixed netip.Addr

	mu    sync.Mutex
	asked []string
}

// ServeDNS implements dns.Handler.
func (f *DNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	f.mu.Lock()
	f.asked = append(f.asked, name)
	f.mu.Unlock()
	if f.Fixed.IsValid() {
		if q.Qtype == dns.TypeA && f.Fixed.Is4() {
			m.Answer = append(m.Answer, &dns.A{Hdr: header(q.Name, dns.TypeA, 30), A: f.Fixed.AsSlice()})
		}
		_ = w.WriteMsg(m)
		return
	}
	ttl, ok := f.TTLs[name]
	if !ok {
		ttl = 30
	}
	for hops := 0; hops < 8; hops++ {
		vals, ok := f.Zone[name]
		if !ok {
			if hops == 0 {
				m.Rcode = dns.RcodeNameError
			}
			break
		}
		if target, ok := cnameTarget(vals); ok {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: header(name, dns.TypeCNAME, ttl), Target: target})
			name = target
			continue
		}
		for _, v := range vals {
			a, err := netip.ParseAddr(v)
			if err != nil {
				continue
			}
			switch {
			case q.Qtype == dns.TypeA && a.Is4():
				m.Answer = append(m.Answer, &dns.A{Hdr: header(name, dns.TypeA, ttl), A: a.AsSlice()})
			case q.Qtype == dns.TypeAAAA && a.Is6():
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: header(name, dns.TypeAAAA, ttl), AAAA: a.AsSlice()})
			}
		}
		break
	}
	_ = w.WriteMsg(m)
}

func header(name string, typ uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}

// Asked reports whether a question for name (lower case, trailing dot) came in.
func (f *DNS) Asked(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.asked {
		if a == name {
			return true
		}
	}
	return false
}

// Questions returns every name asked so far, in order.
func (f *DNS) Questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// Count is how many questions came in.
func (f *DNS) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

// ServeDNS starts UDP and TCP servers for h on addr in the calling thread's
// network namespace and returns a function that stops them.
func ServeDNS(addr string, h dns.Handler) (stop func(), err error) {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening udp %s: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("listening tcp %s: %w", addr, err)
	}
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	return func() { _ = udp.Shutdown(); _ = tcp.Shutdown() }, nil
}
