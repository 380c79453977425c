package enforce

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Addresses of the test world. All are documentation ranges.
const (
	gw4    = "198.51.100.1"
	agent4 = "198.51.100.2"
	gw6    = "2001:db8:100::1"
	agent6 = "2001:db8:100::2"
	dns4   = "192.0.2.53"
	dns6   = "2001:db8:53::53"
	// neverResolved is served by the internet namespace but named by no record.
	neverResolved = "203.0.113.5"
)

// zone is the fake internet's DNS: name to addresses, or "CNAME target".
var zone = map[string][]string{
	"github.com.":           {"192.0.2.10", "2001:db8:1::10"},
	"api.github.com.":       {"192.0.2.11", "2001:db8:1::11"},
	"www.github.com.":       {"CNAME edge.cdn-example.net."},
	"edge.cdn-example.net.": {"192.0.2.40"},
	"blocked.example.":      {"192.0.2.20", "2001:db8:1::20"},
	"shared-a.example.net.": {"192.0.2.30"},
	"shared-b.example.org.": {"192.0.2.30"},
	"other.example.org.":    {"192.0.2.50"},
	"zero-ttl.example.org.": {"192.0.2.60"},
}

// serviceAddrs lists every address the internet namespace answers on.
func serviceAddrs() []string {
	seen := map[string]bool{dns4: true, dns6: true, neverResolved: true}
	for _, vals := range zone {
		for _, v := range vals {
			if !strings.HasPrefix(v, "CNAME ") {
				seen[v] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	return out
}

// fakeDNS answers from zone (or with a fixed address) and records every name
// it was asked.
type fakeDNS struct {
	mu    sync.Mutex
	asked []string
	fixed string // when set, every A question gets this address
}

func (f *fakeDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
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
	if f.fixed != "" {
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(f.fixed)})
		_ = w.WriteMsg(m)
		return
	}
	ttl := uint32(30)
	if name == "zero-ttl.example.org." {
		ttl = 0
	}
	for hops := 0; hops < 8; hops++ {
		vals, ok := zone[name]
		if !ok {
			if hops == 0 {
				m.Rcode = dns.RcodeNameError
			}
			break
		}
		if target, ok := strings.CutPrefix(vals[0], "CNAME "); ok {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: ttl}, Target: target})
			name = target
			continue
		}
		for _, v := range vals {
			ip := net.ParseIP(v)
			switch {
			case q.Qtype == dns.TypeA && ip.To4() != nil:
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: ip})
			case q.Qtype == dns.TypeAAAA && ip.To4() == nil:
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: ip})
			}
		}
		break
	}
	_ = w.WriteMsg(m)
}

// Asked reports whether the server saw a question for name (with trailing dot).
func (f *fakeDNS) Asked(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.asked {
		if a == name {
			return true
		}
	}
	return false
}

// Count is how many questions the server saw.
func (f *fakeDNS) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.asked)
}

// serveDNS starts UDP and TCP servers for h on addr; call inside the
// namespace that should own the sockets.
func serveDNS(t *testing.T, addr string, h dns.Handler) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return fmt.Errorf("listening udp %s: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return fmt.Errorf("listening tcp %s: %w", addr, err)
	}
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return nil
}

// serveEcho starts a line echo over TCP on addr:7 and a datagram echo over
// UDP on addr:7, and an HTTP server on addr:80.
func serveEcho(t *testing.T, addr string) error {
	hp := net.JoinHostPort(addr, "7")
	ln, err := net.Listen("tcp", hp)
	if err != nil {
		return fmt.Errorf("listening tcp %s: %w", hp, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					if _, err := fmt.Fprintf(c, "echo %s from %s\n", sc.Text(), addr); err != nil {
						return
					}
				}
			}()
		}
	}()
	pc, err := net.ListenPacket("udp", hp)
	if err != nil {
		return fmt.Errorf("listening udp %s: %w", hp, err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		}
	}()
	hl, err := net.Listen("tcp", net.JoinHostPort(addr, "80"))
	if err != nil {
		return fmt.Errorf("listening http %s: %w", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", addr)
	})}
	go func() { _ = srv.Serve(hl) }()
	t.Cleanup(func() { srv.Close() })
	return nil
}
