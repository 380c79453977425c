package main

import (
	"net/netip"

	"github.com/warden-sh/warden/sidecar/engine"
	"github.com/warden-sh/warden/sidecar/ports"
	"github.com/warden-sh/warden/sidecar/relay"
)

// namespace serves the preview routes of the control socket: the relay to
// loopback ports and the list of listening ports.
type namespace struct {
	relay.Dialer
	ports.Lister
}

// newNamespace refuses to relay to the DNS filter's own ports and leaves
// Docker's resolver out of the listening ports.
func newNamespace(cfg engine.Config) namespace {
	var own []int
	for _, l := range cfg.DNS.Listen {
		if ap, err := netip.ParseAddrPort(l); err == nil {
			own = append(own, int(ap.Port()))
		}
	}
	var hide []netip.Addr
	if cfg.Firewall.DockerResolver.IsValid() {
		hide = append(hide, cfg.Firewall.DockerResolver)
	}
	return namespace{Dialer: relay.Dialer{Own: own}, Lister: ports.Lister{Hide: hide}}
}
