package firewall

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/warden-sh/warden/shared"
)

// TestUpstreamsOnlyForMarkedSockets: the agent's packets to the filter's
// resolvers are refused ahead of the rule that lets established flows
// through, so a flow the filter's own socket left in conntrack carries
// nothing of the agent's.
func TestUpstreamsOnlyForMarkedSockets(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HostGateways = []netip.Addr{netip.MustParseAddr("192.0.2.1")}
	cfg.Upstreams = []netip.AddrPort{netip.MustParseAddrPort("198.51.100.53:5353"), netip.MustParseAddrPort("127.0.0.11:53")}
	for _, mode := range []shared.Mode{shared.ModeNone, shared.ModeRestricted} {
		text := Rules(cfg, mode, IPv4)
		for _, chain := range []string{chainOutNone, chainOutRestricted} {
			var lines []string
			for _, l := range strings.Split(text, "\n") {
				if strings.HasPrefix(l, "-A "+chain+" ") {
					lines = append(lines, strings.TrimPrefix(l, "-A "+chain+" "))
				}
			}
			refuse, established := -1, -1
			for i, l := range lines {
				switch l {
				case "-d 198.51.100.53/32 -p udp -m udp --dport 5353 -m mark ! --mark 0x5744 -j REJECT --reject-with icmp-port-unreachable":
					refuse = i
				case "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT":
					established = i
				}
				if strings.Contains(l, "--dport 53 -m mark") {
					t.Errorf("%s: a second rule for Docker's resolver: %s", chain, l)
				}
			}
			if refuse < 0 || established < 0 || refuse > established {
				t.Errorf("%s in mode %s: the upstream's refusal (line %d) must come before established flows (line %d):\n%s", chain, mode, refuse, established, strings.Join(lines, "\n"))
			}
		}
	}
}
