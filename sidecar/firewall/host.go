package firewall

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/warden-sh/warden/shared"
)

// Chains of the host's own rules. Every mode sends packets for the host
// gateways to WARDEN-HOST (full mode through WARDEN-OUT-FULL, which holds
// nothing else), and WARDEN-HOST decides by port.
const (
	chainHost    = "WARDEN-HOST"
	chainOutFull = "WARDEN-OUT-FULL"
)

// multiportMax is how many ports one multiport match takes.
const multiportMax = 15

// toHost is the rule of a mode chain that hands packets for the host to
// WARDEN-HOST.
func toHost(cfg Config, fam Family) []string {
	var r []string
	for _, gw := range cfg.HostGateways {
		if fam.has(gw) {
			r = append(r, fmt.Sprintf("-d %s -g %s", hostPrefix(gw), chainHost))
		}
	}
	return r
}

// hostRules judge a packet for the host: the sidecar's own and established
// flows pass, the ports closed to agents (the daemon's) are refused in
// every setting, then the project's host access decides. A refusal is
// logged, so it shows as an event with its port.
func hostRules(cfg Config, fam Family) []string {
	r := []string{
		fmt.Sprintf("-m mark --mark %s -j ACCEPT", markHex(cfg.Mark)),
		"-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	}
	refuse := []string{
		fmt.Sprintf("-m limit --limit %s --limit-burst %d -j NFLOG --nflog-prefix %s --nflog-group %d",
			nflogLimit, nflogBurst, nflogPrefix, cfg.NFLogGroup),
		"-p tcp -j REJECT --reject-with tcp-reset",
		"-j REJECT --reject-with " + portUnreachable(fam),
	}
	for _, ports := range chunks(cfg.HostClosedPorts) {
		r = append(r, fmt.Sprintf("-p tcp -m multiport --dports %s -j NFLOG --nflog-prefix %s --nflog-group %d", ports, nflogPrefix, cfg.NFLogGroup),
			fmt.Sprintf("-p tcp -m multiport --dports %s -j REJECT --reject-with tcp-reset", ports))
	}
	switch cfg.HostAccess {
	case shared.HostPorts:
		for _, ports := range chunks(cfg.HostPorts) {
			for _, proto := range []string{"tcp", "udp"} {
				r = append(r, fmt.Sprintf("-p %s -m multiport --dports %s -j ACCEPT", proto, ports))
			}
		}
		return append(r, refuse...)
	case shared.HostNone:
		return append(r, refuse...)
	default:
		return append(r, "-j ACCEPT")
	}
}

// chunks spells ports as multiport lists of at most multiportMax each.
func chunks(ports []int) []string {
	var out []string
	for len(ports) > 0 {
		n := min(len(ports), multiportMax)
		s := make([]string, n)
		for i, p := range ports[:n] {
			s[i] = strconv.Itoa(p)
		}
		out = append(out, strings.Join(s, ","))
		ports = ports[n:]
	}
	return out
}

// hostChainRules is the restore input that rewrites WARDEN-HOST alone.
func hostChainRules(cfg Config, fam Family) string {
	var b strings.Builder
	writeTable(&b, "filter", []chain{{chainHost, hostRules(cfg, fam)}})
	return b.String()
}

// SetHost makes access (with ports, for shared.HostPorts) the host access
// in force, rewriting WARDEN-HOST alone when the chains are in place; the
// next full write carries it otherwise. Calling it again with the same
// setting changes nothing.
func (f *Firewall) SetHost(access shared.HostAccess, ports []int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := f.cfg
	next.HostAccess, next.HostPorts = access, ports
	next, err := next.normalize()
	if err != nil {
		return err
	}
	if next.HostAccess == f.cfg.HostAccess && slicesEqual(next.HostPorts, f.cfg.HostPorts) {
		return nil
	}
	f.cfg = next
	if !f.synced {
		return nil
	}
	if err := f.eachFamily(func(fam Family) error { return f.sys.restore(fam, hostChainRules(f.cfg, fam)) }); err != nil {
		f.synced = false
		return fmt.Errorf("applying host access %s: %w", access, err)
	}
	f.setApplied(f.mode)
	f.log.Info("host access applied", "access", next.HostAccess, "ports", next.HostPorts)
	return nil
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
