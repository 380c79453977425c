package engine

import (
	"net/netip"
	"time"

	"github.com/ti-mo/conntrack"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/killswitch"
)

// strictness orders the modes by how little they allow.
var strictness = map[shared.Mode]int{shared.ModeFull: 0, shared.ModeRestricted: 1, shared.ModeNone: 2}

// tightens reports whether going from old to next allows less. The first
// policy of a start tightens nothing: the namespace was closed before it.
func tightens(old, next shared.Mode) bool {
	return old != "" && strictness[next] > strictness[old]
}

// droppedAddrs lists the addresses the entries that p removes hold now; the
// caller holds policyMu, before the sets forget them.
func (e *Engine) droppedAddrs(old, p shared.ValidPolicy) []netip.Addr {
	if !p.Cut || old.Mode != shared.ModeRestricted || p.Mode != shared.ModeRestricted {
		return nil
	}
	_, removed := old.Diff(p)
	return e.sets.HeldBy(removed)
}

// cut deletes the flows the change from old to p stops allowing: every
// flow but loopback and the host when the mode tightens, and when p asks
// for it, the flows to the addresses of removed names that no kept name
// holds. It returns how many it cut. A failure is logged, not returned: the
// new rules are in place, and only connections opened before them are at
// stake.
func (e *Engine) cut(old, p shared.ValidPolicy, dropped []netip.Addr) int {
	var gone []netip.Addr // addresses of removed names that no kept name holds
	for _, a := range dropped {
		if !e.sets.Holds(a) {
			gone = append(gone, a)
		}
	}
	// Connections the name check let through are judged by the name they
	// were bound to: all cut when the mode tightens; when p asks for cuts,
	// those bound to a name p no longer allows (the address may stay
	// allowed for another name) and those on the address rule to an
	// address that is gone. A cut connection's next packet finds no
	// conntrack entry and is reset, by the rules or by the check.
	host := killswitch.Host{Gateways: e.cfg.Firewall.HostGateways, Mark: e.cfg.Firewall.Mark}
	var judge killswitch.Judge
	switch {
	case tightens(old.Mode, p.Mode):
		judge = host.OnlyHost()
	case p.Cut && old.Mode == shared.ModeRestricted && p.Mode == shared.ModeRestricted:
		m := shared.NewMatcher(p.Domains)
		notGone := host.NotTo(gone)
		judge = func(f conntrack.Flow) bool {
			if name, ok := e.check.Bound(f); ok && name != "" {
				_, allowed := m.Match(name)
				return allowed
			}
			return notGone(f)
		}
	default:
		return 0
	}
	start := time.Now()
	n, err := killswitch.Cut(e.flows, judge)
	if err != nil {
		e.log.Error("cutting connections the new policy does not allow", "mode", p.Mode, "cut", n, "err", err)
	}
	e.log.Info("connections cut", "from", old.Mode, "to", p.Mode, "count", n, "ms", float64(time.Since(start).Microseconds())/1000)
	return n
}
