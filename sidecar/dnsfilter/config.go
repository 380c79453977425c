package dnsfilter

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config says where the filter listens and where it forwards allowed queries.
type Config struct {
	// Listen are the addresses served over both UDP and TCP ("ip:port").
	// An IPv6 address the namespace lacks is skipped with a warning; any
	// other failure to bind is an error.
	Listen []string `json:"listen"`
	// Upstreams are the resolvers ("ip:port") allowed queries go to. The
	// first that answered last is asked first; on failure the next is tried.
	Upstreams []string `json:"upstreams"`
	// Mark is set as SO_MARK on every upstream socket, so the firewall lets
	// the filter's own queries out while it redirects the agent's. 0 leaves
	// the sockets unmarked.
	Mark uint32 `json:"mark"`
	// Timeout bounds one attempt at one upstream.
	Timeout time.Duration `json:"timeout"`
	// HostGateways answer host.docker.internal (A from the IPv4 ones, AAAA
	// from the IPv6 ones).
	HostGateways []netip.Addr `json:"hostGateways"`
	// NoFirstContacts stops the report of each allowed name's first answer
	// (the audit log's first contacts); benchmarks compare with and
	// without. Default false: they are reported.
	NoFirstContacts bool `json:"noFirstContacts"`
}

// DefaultConfig listens on loopback port 53 of both families and forwards to
// Docker's embedded resolver with the sidecar's firewall mark.
func DefaultConfig() Config {
	return Config{
		Listen:    []string{"127.0.0.1:53", "[::1]:53"},
		Upstreams: []string{"127.0.0.11:53"},
		Mark:      0x5744,
		Timeout:   2 * time.Second,
	}
}

// parsedConfig is Config with its addresses parsed once.
type parsedConfig struct {
	Config
	listen    []netip.AddrPort
	upstreams []netip.AddrPort
}

func (c Config) parse() (parsedConfig, error) {
	p := parsedConfig{Config: c}
	if len(c.Listen) == 0 {
		return p, errors.New("no listen address; expect at least one ip:port such as 127.0.0.1:53")
	}
	if len(c.Upstreams) == 0 {
		return p, errors.New("no upstream resolver; expect at least one ip:port such as 127.0.0.11:53")
	}
	if c.Timeout <= 0 {
		return p, fmt.Errorf("upstream timeout %s: expect a positive duration such as 2s", c.Timeout)
	}
	for _, s := range c.Listen {
		ap, err := parseAddrPort(s)
		if err != nil {
			return p, fmt.Errorf("listen address %q: %w", s, err)
		}
		p.listen = append(p.listen, ap)
	}
	for _, s := range c.Upstreams {
		ap, err := parseAddrPort(s)
		if err != nil {
			return p, fmt.Errorf("upstream %q: %w", s, err)
		}
		if ap.Port() == 0 {
			return p, fmt.Errorf("upstream %q: port 0; expect ip:port such as 127.0.0.11:53", s)
		}
		p.upstreams = append(p.upstreams, ap)
	}
	for _, g := range c.HostGateways {
		if !g.IsValid() {
			return p, errors.New("host gateway: invalid address")
		}
	}
	return p, nil
}

func parseAddrPort(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, errors.New("expect ip:port such as 127.0.0.1:53 or [::1]:53")
	}
	if ap.Addr().Zone() != "" {
		return ap, errors.New("zoned addresses are not supported; expect ip:port such as [::1]:53")
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
