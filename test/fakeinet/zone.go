package fakeinet

import (
	"net/netip"
	"sort"
	"strings"
)

// Zone maps a fully qualified, lower-case name to its addresses, or to a
// single "CNAME target." value.
type Zone map[string][]string

// TTLs maps names to the TTL their records carry; names not listed get 30.
type TTLs map[string]uint32

// Addrs lists every address the zone names, sorted.
func (z Zone) Addrs() []netip.Addr {
	seen := map[netip.Addr]bool{}
	for _, vals := range z {
		for _, v := range vals {
			if a, err := netip.ParseAddr(v); err == nil {
				seen[a] = true
			}
		}
	}
	out := make([]netip.Addr, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Less(out[j]) })
	return out
}

func cnameTarget(vals []string) (string, bool) {
	if len(vals) != 1 {
		return "", false
	}
	return strings.CutPrefix(vals[0], "CNAME ")
}
