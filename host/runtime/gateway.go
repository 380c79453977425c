package runtime

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// defaultBridge is the network whose gateway Docker 20.10 gives
// "host-gateway" in --add-host (unless the engine sets host-gateway-ip).
const defaultBridge = "bridge"

// hostGateways lists the addresses the sidecar must treat as the host: the
// one host.docker.internal maps to, and the gateway of the sidecar's network
// (the reverse proxy's connections come from it). They are the same address
// on the default bridge.
func (r *Runtime) hostGateways(ctx context.Context) ([]netip.Addr, error) {
	hostGW, err := r.networkGateways(ctx, defaultBridge)
	if err != nil {
		return nil, fmt.Errorf("finding the host-gateway address: %w", err)
	}
	var out []netip.Addr
	for _, a := range hostGW {
		if a.Is4() { // host-gateway is an IPv4 address on 20.10
			out = append(out, a)
			break
		}
	}
	netGW, err := r.networkGateways(ctx, r.cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("finding the gateway of network %s: %w", r.cfg.Network, err)
	}
	for _, a := range netGW {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("finding the host's address: networks %s and %s name no gateway or subnet", defaultBridge, r.cfg.Network)
	}
	return out, nil
}

// networkGateways returns the gateways a sidecar saw on the network, or else
// what the network inspect says: the IPAM gateways, or, where the engine
// leaves them out (the default bridge on 20.10 does), the first address of
// each subnet, which is what Docker's IPAM hands the bridge.
func (r *Runtime) networkGateways(ctx context.Context, name string) ([]netip.Addr, error) {
	r.mu.Lock()
	seen := slices.Clone(r.gateways[name])
	r.mu.Unlock()
	if len(seen) > 0 {
		return seen, nil
	}
	nw, err := r.docker.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("inspecting network %s: %w", name, err)
	}
	return gatewaysFromIPAM(nw.IPAM.Config), nil
}

func gatewaysFromIPAM(configs []network.IPAMConfig) []netip.Addr {
	var out []netip.Addr
	for _, c := range configs {
		if gw, err := netip.ParseAddr(c.Gateway); err == nil {
			out = append(out, gw.Unmap())
			continue
		}
		if pfx, err := netip.ParsePrefix(c.Subnet); err == nil {
			if first := pfx.Masked().Addr().Next(); pfx.Contains(first) {
				out = append(out, first.Unmap())
			}
		}
	}
	return out
}

// observedGateways reads the gateways a running container got on the
// network.
func observedGateways(c container.InspectResponse, networkName string) []netip.Addr {
	if c.NetworkSettings == nil {
		return nil
	}
	ep, ok := c.NetworkSettings.Networks[networkName]
	if !ok || ep == nil {
		return nil
	}
	var out []netip.Addr
	for _, s := range []string{ep.Gateway, ep.IPv6Gateway} {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

// rememberGateways keeps what a started sidecar saw, so the next sidecar is
// given the right address even where the network inspect had to be guessed
// from.
func (r *Runtime) rememberGateways(networkName string, gws []netip.Addr) {
	if len(gws) == 0 {
		return
	}
	r.mu.Lock()
	r.gateways[networkName] = slices.Clone(gws)
	r.mu.Unlock()
}

// unixSocketPath returns the path of a unix:// Docker host, if it is one.
func unixSocketPath(host string) []string {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "unix" || u.Path == "" {
		return nil
	}
	return []string{u.Path}
}
