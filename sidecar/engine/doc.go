// Package engine wires the sidecar's parts into one enforcer and owns the
// order in which they change, because the order is what keeps the namespace
// closed:
//
//	Start:  firewall "none" rules (default drop) ─► address sets created
//	        ─► DNS filter listening ─► NFLOG reader ─► Apply(initial) ─► ready
//	Apply:  validate ─► DNS filter judges by the new policy ─► firewall rules
//	        for the new mode ─► addresses of removed names leave the sets
//	        ─► exact new entries resolved in the background
//
// A DNS answer adds its addresses to the sets through the engine, which holds
// the policy lock while it does, so an answer for a name removed a moment ago
// can never re-add an address after the removal.
package engine
