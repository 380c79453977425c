// Package firewall writes the sidecar's iptables and ip6tables rules: what the
// agent may send (WARDEN-OUT), what may reach it (WARDEN-IN) and where its DNS
// queries go (WARDEN-DNS, nat); in restricted mode new TCP connections to
// allowed addresses go to the name check's queue until it has judged them. Apply takes a mode and leaves the namespace
// enforcing it; it may be called again and again with the same result.
//
//	Apply(mode)
//	  ├─ first call (or after a failure): full write
//	  │    ensure the ipsets exist ─► iptables-restore --noflush (one batch per
//	  │    family: filter + nat) ─► jumps from OUTPUT/INPUT/nat OUTPUT at
//	  │    position 1, exactly once (go-iptables)
//	  └─ later calls: mode switch
//	       iptables-restore --noflush inserting one dispatch rule at the top of
//	       WARDEN-OUT (and WARDEN-DNS when it changes) ─► a timer later rewrites
//	       the dispatch chains without the rules the insert shadowed
//
// Each mode's rules live in a chain of their own, written once per process:
//
//	OUTPUT ─► WARDEN-OUT ─goto─► WARDEN-OUT-RESTRICTED | WARDEN-OUT-NONE | WARDEN-OUT-FULL
//	             packets for the host gateways, from every mode chain ─goto─► WARDEN-HOST
//	INPUT  ─► WARDEN-IN                                                     (every mode)
//	nat OUTPUT ─► WARDEN-DNS ─goto─► WARDEN-DNS-REDIRECT                    (full: RETURN)
//
// WARDEN-DNS-REDIRECT sends the agent's DNS to the filter.
//
// In WARDEN-OUT-RESTRICTED a SYN to an allowed address gets the conntrack
// mark "pending" and goes to the name check's NFQUEUE (sidecar/egress), and
// so does every later packet of a pending connection. The check answers a
// packet by marking it "passed" or "refused" and sending it through the
// chain again; the chain saves the mark to the connection, so the rest of a
// passed connection goes on in the kernel and a refused one is reset.
//
// WARDEN-OUT-FULL holds only the hand-over to WARDEN-HOST; anything else
// falls off its end and is accepted by OUTPUT. WARDEN-HOST closes the
// daemon's port (Config.HostClosedPorts) and applies the project's host
// access (all, listed ports, none); SetHost rewrites that chain alone.
//
// The dispatch rule is a goto, so when the mode chain ends processing carries
// on in OUTPUT after the WARDEN-OUT jump and the older dispatch rules below
// the first one are never reached. A mode switch therefore only adds a rule.
// That matters for speed: with the nf_tables backend, a batch that deletes
// rules makes iptables-restore wait for an RCU grace period when it closes its
// netlink socket (tens of milliseconds), while a batch that only adds rules
// finishes in about a millisecond.
//
// Rules stay in the kernel when the process exits, so the namespace stays
// closed across a sidecar restart; the next process rewrites them in full.
package firewall
