package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"github.com/warden-sh/warden/sidecar/control"
	"github.com/warden-sh/warden/sidecar/relay"
)

var (
	// errNotListening: nothing accepts on the port, on the project's
	// address nor on its loopback.
	errNotListening = errors.New("nothing listens on the port")
	// errNotRunning: the project stopped between the request's checks and
	// the dial.
	errNotRunning = errors.New("the project is not running")
)

// dialer connects to a project's port, directly or through its sidecar.
type dialer struct {
	route    string
	projects Projects
	direct   net.Dialer
	// relayFirst holds "id:port" of ports found listening on loopback
	// only, which go to the relay first from then on.
	relayFirst sync.Map
	// dialRelay is control.DialRelay; tests replace it.
	dialRelay func(ctx context.Context, socket string, port int) (net.Conn, error)
}

func newDialer(cfg Config, projects Projects) *dialer {
	return &dialer{
		route:     cfg.Route,
		projects:  projects,
		direct:    net.Dialer{Timeout: cfg.DialTimeout},
		dialRelay: control.DialRelay,
	}
}

// backendAddr is how a project's port is named to the Transport: its pool
// key and what dialBackend receives. It is never resolved as a host name.
func backendAddr(id string, port int) string { return id + ":" + strconv.Itoa(port) }

// dialBackend is the Transport's DialContext: addr is backendAddr's.
func (d *dialer) dialBackend(ctx context.Context, _, addr string) (net.Conn, error) {
	id, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dialing backend %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("dialing backend %q: bad port", addr)
	}
	t, err := d.projects.Preview(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Stopped || !t.Running || (t.Dial == nil && !t.Addr.IsValid()) {
		return nil, errNotRunning
	}
	if t.Dial != nil {
		return viaRuntime(ctx, t, port)
	}
	return d.dial(ctx, t, port, addr)
}

// viaRuntime connects through the backend's own way (Target.Dial).
func viaRuntime(ctx context.Context, t Target, port int) (net.Conn, error) {
	c, err := t.Dial(ctx, port)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("%w (%v)", errNotListening, err)
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to port %d: %w", port, err)
	}
	return c, nil
}

// dial tries the route's first way and falls back when nothing listens
// there.
func (d *dialer) dial(ctx context.Context, t Target, port int, key string) (net.Conn, error) {
	if d.route == RouteRelay {
		return d.viaRelay(ctx, t, port)
	}
	if _, ok := d.relayFirst.Load(key); ok {
		c, err := d.viaRelay(ctx, t, port)
		if !errors.Is(err, errNotListening) {
			return c, err
		}
		d.relayFirst.Delete(key) // the server may have moved to 0.0.0.0
	}
	c, err := d.direct.DialContext(ctx, "tcp", netip.AddrPortFrom(t.Addr, uint16(port)).String())
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("connecting to %s port %d: %w", t.Addr, port, err)
	}
	c, err = d.viaRelay(ctx, t, port)
	if err == nil {
		d.relayFirst.Store(key, struct{}{})
	}
	return c, err
}

// viaRelay asks the project's sidecar to connect to port on its loopback.
func (d *dialer) viaRelay(ctx context.Context, t Target, port int) (net.Conn, error) {
	c, err := d.dialRelay(ctx, t.Socket, port)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, relay.ErrNotListening):
		return nil, fmt.Errorf("%w (%v)", errNotListening, err)
	case errors.Is(err, control.ErrUnreachable):
		return nil, fmt.Errorf("%w: its sidecar does not answer (%v)", errNotRunning, err)
	}
	return nil, err
}
