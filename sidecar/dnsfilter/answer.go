package dnsfilter

import (
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// maxCNAMEs caps how many CNAME links are followed from the question name;
// real chains are a handful long, and a loop must end.
const maxCNAMEs = 16

// chainAddrs follows the CNAME chain from qname through the answer records
// and returns the A and AAAA addresses owned by a name on that chain, with
// the smallest TTL of the records used (the CNAMEs followed and the address
// records taken). Records owned by names off the chain are ignored: an
// upstream cannot get an address allowed by listing it under another name.
func chainAddrs(qname string, rrs []record) (addrs []netip.Addr, ttl uint32) {
	chain := make([]string, 1, 4)
	chain[0] = strings.ToLower(dns.Fqdn(qname))
	ttl = math.MaxUint32
	for name := chain[0]; len(chain) <= maxCNAMEs; {
		next, nextTTL, ok := cnameOf(name, rrs)
		if !ok || slices.Contains(chain, next) {
			break
		}
		ttl = min(ttl, nextTTL)
		chain = append(chain, next)
		name = next
	}
	for _, r := range rrs {
		if !r.addr.IsValid() || !slices.Contains(chain, r.name) {
			continue
		}
		ttl = min(ttl, r.ttl)
		if !slices.Contains(addrs, r.addr) {
			addrs = append(addrs, r.addr)
		}
	}
	if len(addrs) == 0 {
		return nil, 0
	}
	return addrs, ttl
}

func cnameOf(name string, rrs []record) (target string, ttl uint32, ok bool) {
	for _, r := range rrs {
		if r.rrtype == dns.TypeCNAME && r.name == name {
			return r.target, r.ttl, true
		}
	}
	return "", 0, false
}
