package firewall

// system is the part of the OS the firewall drives. Every call acts on the
// network namespace of the calling thread, which for the sidecar is the
// namespace it shares with the agent.
type system interface {
	// restore feeds rules to iptables-restore --noflush (ip6tables-restore
	// for IPv6) as one batch.
	restore(fam Family, rules string) error
	// listRules returns the chain as `iptables -S` prints it: a -P or -N line,
	// then one -A line per rule.
	listRules(fam Family, table, chain string) ([]string, error)
	insertRule(fam Family, table, chain string, pos int, spec ...string) error
	deleteRule(fam Family, table, chain string, pos int) error
	// ensureSet creates an empty hash:ip set with timeout support unless a
	// set of that name exists.
	ensureSet(name string, fam Family) error
	// ipv6Present reports whether any interface has an IPv6 address.
	ipv6Present() (bool, error)
	// usable reports why the family's tools cannot manage rules, if they cannot.
	usable(fam Family) error
}
