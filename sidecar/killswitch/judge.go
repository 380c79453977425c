package killswitch

import (
	"net/netip"
	"slices"

	"github.com/ti-mo/conntrack"
)

// Host is what every mode lets the agent keep: loopback (the DNS filter
// among it) and the host's addresses, both ways.
type Host struct {
	Gateways []netip.Addr
	// Mark is the sidecar's socket mark; 0 leaves its flows to the judge.
	Mark uint32
}

// keeps reports whether the flow stays in every mode: on loopback, or to
// or from the host.
func (h Host) keeps(f conntrack.Flow) bool {
	if h.Mark != 0 && f.Mark == h.Mark {
		return true
	}
	orig := f.TupleOrig
	src, dst := orig.IP.SourceAddress.Unmap(), orig.IP.DestinationAddress.Unmap()
	if dst.IsLoopback() || src.IsLoopback() {
		return true
	}
	return slices.Contains(h.Gateways, dst) || slices.Contains(h.Gateways, src)
}

// OnlyHost keeps what none mode allows, and what restricted mode allows of
// a connection opened under full mode: nothing but loopback and the host. A
// connection to an allowed name opened under full mode is cut too, since it
// never passed the checks restricted mode makes when a connection opens;
// the agent reconnects through them.
func (h Host) OnlyHost() Judge {
	return h.keeps
}

// NotTo keeps every flow but those to the given addresses (those of names
// just removed), except the host and loopback.
func (h Host) NotTo(addrs []netip.Addr) Judge {
	drop := make(map[netip.Addr]bool, len(addrs))
	for _, a := range addrs {
		drop[a.Unmap()] = true
	}
	return func(f conntrack.Flow) bool {
		return h.keeps(f) || !drop[f.TupleOrig.IP.DestinationAddress.Unmap()]
	}
}
