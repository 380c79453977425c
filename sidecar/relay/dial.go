package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"
)

var (
	// ErrNotListening: nothing accepts connections on the port, on either
	// loopback address.
	ErrNotListening = errors.New("nothing listens on the port")
	// ErrRefusedPort: the port belongs to the sidecar itself and is never
	// relayed.
	ErrRefusedPort = errors.New("port is the sidecar's own")
)

// dnsPort is refused whatever the filter's own port: in restricted and none
// modes the firewall redirects every TCP connection to port 53 to the
// filter, so a relay there would reach the sidecar, not the agent.
const dnsPort = 53

// DefaultDialTimeout bounds one loopback dial.
const DefaultDialTimeout = 5 * time.Second

// loopbacks are the only addresses a relay ever dials, in this order.
var loopbacks = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}

// Dialer connects to TCP ports on the loopback of the namespace it runs in.
type Dialer struct {
	// Own are the sidecar's own listening ports (its DNS filter's); they
	// and port 53 are refused.
	Own []int
	// Timeout bounds one dial; DefaultDialTimeout when zero.
	Timeout time.Duration
}

// DialLoopback connects to port on 127.0.0.1, or on ::1 when nothing
// listens on 127.0.0.1. Errors match ErrNotListening or ErrRefusedPort
// where those apply.
func (d Dialer) DialLoopback(ctx context.Context, port int) (net.Conn, error) {
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("relay to port %d: expect a port from 1 to 65535", port)
	}
	if port == dnsPort || slices.Contains(d.Own, port) {
		return nil, fmt.Errorf("relay to port %d: %w (the DNS filter); it is never relayed", port, ErrRefusedPort)
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	nd := net.Dialer{Timeout: timeout, KeepAlive: -1}
	var errs []error
	for _, ip := range loopbacks {
		c, err := nd.DialContext(ctx, "tcp", netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if !closed(err) {
			return nil, fmt.Errorf("relay to port %d: %w", port, err)
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("relay to port %d: %w on 127.0.0.1 or ::1 in the namespace (%w)",
		port, ErrNotListening, errors.Join(errs...))
}

// closed reports a dial that found no listener: refused, or (for ::1 in a
// namespace without IPv6) no such address.
func closed(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EADDRNOTAVAIL) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EAFNOSUPPORT)
}
