// Package addrset keeps the kernel's sets of allowed addresses (ipset
// hash:ip, one per IP version) in step with the DNS answers the sidecar let
// through, and remembers which allowlist entry vouched for each address so
// that removing a name removes exactly its addresses.
//
//	DNS filter ─Add(entry, addrs, ttl)─► Sets ─netlink (one message per new address)─► ipset warden4 / warden6
//	engine ─Retain(allowlist)─► Sets: addresses no remaining entry holds are deleted at once
//	engine ─Prune(now)─► Sets: holders whose answers expired are forgotten (the kernel
//	                           expires the entries itself through their timeouts)
//
// An address stays in the set while any entry holds it (reference counts per
// name). Every kernel entry has a timeout: at least TTLFloor, so a TTL of 0
// never becomes a permanent entry, and at most TTLMax. A repeated answer that
// changes nothing costs no kernel call, which keeps the DNS hot path cheap.
package addrset
