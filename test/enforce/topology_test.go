package enforce

import (
	"net/netip"

	"github.com/warden-sh/warden/test/fakeinet"
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
	// cdn4 and cdn6 serve several names each, as a CDN's addresses do.
	cdn4 = "192.0.2.70"
	cdn6 = "2001:db8:1::70"
	// daemonPort stands for the daemon's port on the host, closed to agents.
	daemonPort = 8090
)

// zone is the fake internet's DNS.
var zone = fakeinet.Zone{
	"github.com.":           {"192.0.2.10", "2001:db8:1::10"},
	"api.github.com.":       {"192.0.2.11", "2001:db8:1::11"},
	"gist.github.com.":      {"192.0.2.12", "2001:db8:1::12"},
	"raw.gist.github.com.":  {"192.0.2.13"},
	"www.github.com.":       {"CNAME edge.cdn-example.net."},
	"edge.cdn-example.net.": {"192.0.2.40"},
	"blocked.example.":      {"192.0.2.20", "2001:db8:1::20"},
	"shared-a.example.net.": {"192.0.2.30"},
	"shared-b.example.org.": {"192.0.2.30"},
	"other.example.org.":    {"192.0.2.50"},
	"zero-ttl.example.org.": {"192.0.2.60"},
	"cdn-a.example.net.":    {cdn4, cdn6},
	"cdn-b.example.org.":    {cdn4, cdn6},
	"exfil.attacker.test.":  {cdn4, cdn6},
}

var zoneTTLs = fakeinet.TTLs{"zero-ttl.example.org.": 0}

// serviceAddrs lists every address the internet namespace answers on.
func serviceAddrs() []string {
	out := []string{dns4, dns6, neverResolved}
	for _, a := range zone.Addrs() {
		out = append(out, a.String())
	}
	return out
}

// dockerResolverAnswer is what the stand-in for Docker's resolver answers
// for every name: an address the policy denies.
var dockerResolverAnswer = netip.MustParseAddr("192.0.2.20")
