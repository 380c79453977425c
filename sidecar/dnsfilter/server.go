package dnsfilter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/miekg/dns"
)

// Start binds UDP and TCP on every listen address and serves them. It
// returns once every socket is bound and served.
func (f *Filter) Start() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return errors.New("starting DNS filter: already started")
	}
	var servers []*dns.Server
	var bound []net.Addr
	for _, ap := range f.cfg.listen {
		pc, ln, err := listen(ap)
		if err != nil {
			if ap.Addr().Is6() && noIPv6(err) {
				f.log.Warn("not listening on an IPv6 address the namespace lacks", "address", ap.String(), "error", err)
				continue
			}
			for _, s := range servers {
				closeServer(s)
			}
			return fmt.Errorf("starting DNS filter on %s: %w", ap, err)
		}
		if !ap.Addr().IsUnspecified() {
			pc = boundPacketConn{pc}
		}
		servers = append(servers, f.newServer(&dns.Server{PacketConn: pc}), f.newServer(&dns.Server{Listener: ln}))
		bound = append(bound, pc.LocalAddr())
	}
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		s.NotifyStartedFunc = wg.Done
		go func() {
			if err := s.ActivateAndServe(); err != nil {
				f.log.Error("DNS server stopped", "error", err)
			}
		}()
	}
	wg.Wait()
	f.servers, f.bound, f.started = servers, bound, true
	for _, a := range bound {
		f.log.Info("serving DNS", "address", a.String())
	}
	return nil
}

func (f *Filter) newServer(s *dns.Server) *dns.Server {
	s.Handler = f
	s.UDPSize = maxUDP
	s.MsgAcceptFunc = acceptQueries
	return s
}

// acceptQueries lets every query reach ServeDNS, which refuses the odd ones
// itself (the default would answer FORMERR without recording them).
// Responses get no answer.
func acceptQueries(dh dns.Header) dns.MsgAcceptAction {
	if dh.Bits&(1<<15) != 0 {
		return dns.MsgIgnore
	}
	return dns.MsgAccept
}

// listen binds the UDP socket and the TCP listener of one address; port 0
// picks one port free for both. One UDP reader keeps up: the cost of a query
// is in the kernel's loopback path, not in reading it.
func listen(ap netip.AddrPort) (net.PacketConn, net.Listener, error) {
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", ap.String())
		if err != nil {
			return nil, nil, fmt.Errorf("binding UDP: %w", err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		if ap.Port() != 0 || !errors.Is(err, syscall.EADDRINUSE) || try == 10 {
			return nil, nil, fmt.Errorf("binding TCP: %w", err)
		}
	}
}

// boundPacketConn hides the *net.UDPConn from dns.Server, which then reads
// and writes plain datagrams instead of asking for each packet's destination
// address and setting it as the reply's source. A socket bound to one address
// replies from that address anyway, and the control messages cost about a
// tenth of the refused-query rate.
type boundPacketConn struct{ net.PacketConn }

// noIPv6 tells the namespace lacking IPv6 (no ::1, or IPv6 disabled) from
// other bind failures.
func noIPv6(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)
}

func closeServer(s *dns.Server) {
	if s.PacketConn != nil {
		_ = s.PacketConn.Close()
	}
	if s.Listener != nil {
		_ = s.Listener.Close()
	}
}

// Shutdown stops serving, waits for queries in progress (bounded by ctx)
// and closes the upstream sockets. The filter cannot be started again.
func (f *Filter) Shutdown(ctx context.Context) error {
	f.mu.Lock()
	servers := f.servers
	f.servers = nil
	f.mu.Unlock()
	var errs []error
	for _, s := range servers {
		if err := s.ShutdownContext(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := f.fwd.close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("shutting down DNS filter: %w", err)
	}
	return nil
}
