package firewall

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-sh/warden/shared"
)

// Family is an IP version; each has its own tables, tools and set.
type Family int

const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (fam Family) String() string {
	if fam == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

func (fam Family) has(a netip.Addr) bool {
	return a.IsValid() && (a.Is4() == (fam == IPv4))
}

// Chain names. The mode chains are reached by goto from the dispatch chains
// WARDEN-OUT and WARDEN-DNS (see the package doc).
const (
	chainOut           = "WARDEN-OUT"
	chainOutNone       = "WARDEN-OUT-NONE"
	chainOutRestricted = "WARDEN-OUT-RESTRICTED"
	chainIn            = "WARDEN-IN"
	chainDNS           = "WARDEN-DNS"
	chainDNSRedirect   = "WARDEN-DNS-REDIRECT"
)

// Rejected packets are logged at most this often, so a flood cannot swamp
// the reader; the packets are rejected either way.
const (
	nflogLimit  = "50/sec"
	nflogBurst  = 100
	nflogPrefix = "warden"
)

// chain is one chain's name and its rules, each without the "-A NAME" prefix.
type chain struct {
	name  string
	rules []string
}

// Rules returns the iptables-restore --noflush input that puts every Warden
// chain of one family in the state mode asks for. Rules are spelled the way
// iptables-save prints them and chains come in its order (by name), so the
// text can be compared with what the kernel reports back.
func Rules(cfg Config, mode shared.Mode, family Family) string {
	var b strings.Builder
	writeTable(&b, "filter", []chain{
		{chainHost, hostRules(cfg, family)},
		{chainIn, inRules(cfg, family)},
		{chainOut, []string{outDispatch(mode)}},
		{chainOutFull, toHost(cfg, family)},
		{chainOutNone, outRules(cfg, family, false)},
		{chainOutRestricted, outRules(cfg, family, true)},
	})
	writeTable(&b, "nat", []chain{
		{chainDNS, []string{dnsDispatch(mode)}},
		{chainDNSRedirect, dnsRules(cfg)},
	})
	return b.String()
}

// switchRules returns the restore input that moves a family whose chains
// hold Rules(cfg, from, family) to mode to, by inserting dispatch rules only.
// It is empty when nothing changes.
func switchRules(from, to shared.Mode) string {
	var b strings.Builder
	if outDispatch(from) != outDispatch(to) {
		fmt.Fprintf(&b, "*filter\n-I %s 1 %s\nCOMMIT\n", chainOut, outDispatch(to))
	}
	if dnsDispatch(from) != dnsDispatch(to) {
		fmt.Fprintf(&b, "*nat\n-I %s 1 %s\nCOMMIT\n", chainDNS, dnsDispatch(to))
	}
	return b.String()
}

// compactRules returns the restore input that rewrites the dispatch chains
// with only the rule in force for mode, dropping the ones switches shadowed.
func compactRules(mode shared.Mode) string {
	var b strings.Builder
	writeTable(&b, "filter", []chain{{chainOut, []string{outDispatch(mode)}}})
	writeTable(&b, "nat", []chain{{chainDNS, []string{dnsDispatch(mode)}}})
	return b.String()
}

// writeTable declares every chain (which creates it, or flushes it when it
// exists: checked with iptables-restore --noflush on the nf_tables backend)
// and then appends the rules.
func writeTable(b *strings.Builder, table string, chains []chain) {
	fmt.Fprintf(b, "*%s\n", table)
	for _, c := range chains {
		fmt.Fprintf(b, ":%s - [0:0]\n", c.name)
	}
	for _, c := range chains {
		for _, r := range c.rules {
			fmt.Fprintf(b, "-A %s %s\n", c.name, r)
		}
	}
	b.WriteString("COMMIT\n")
}

func outDispatch(mode shared.Mode) string {
	switch mode {
	case shared.ModeRestricted:
		return "-g " + chainOutRestricted
	case shared.ModeNone:
		return "-g " + chainOutNone
	default:
		return "-g " + chainOutFull
	}
}

func dnsDispatch(mode shared.Mode) string {
	if mode == shared.ModeFull {
		return "-j RETURN"
	}
	return "-g " + chainDNSRedirect
}

// outRules is what the agent may send in none mode, plus the allowed
// addresses' set in restricted mode. Everything else is logged and rejected.
func outRules(cfg Config, fam Family, withSet bool) []string {
	mark := markHex(cfg.Mark)
	var r []string
	if fam.has(cfg.DockerResolver) {
		r = append(r, fmt.Sprintf("-d %s -m mark ! --mark %s -j REJECT --reject-with %s",
			hostPrefix(cfg.DockerResolver), mark, portUnreachable(fam)))
		// The resolver's address is local, so the agent could bind it and
		// forge replies to the filter's upstream sockets. Real replies
		// belong to connections the filter opened.
		r = append(r, fmt.Sprintf("-s %s -m mark ! --mark %s -m conntrack ! --ctstate RELATED,ESTABLISHED -j REJECT --reject-with %s",
			hostPrefix(cfg.DockerResolver), mark, portUnreachable(fam)))
	}
	for _, up := range cfg.Upstreams {
		if a := up.Addr().Unmap(); fam.has(a) && a != cfg.DockerResolver {
			for _, proto := range []string{"udp", "tcp"} {
				r = append(r, fmt.Sprintf("-d %s -p %s -m %s --dport %d -m mark ! --mark %s -j REJECT --reject-with %s",
					hostPrefix(a), proto, proto, up.Port(), mark, portUnreachable(fam)))
			}
		}
	}
	r = append(r, "-o lo -j ACCEPT")
	// A redirected query keeps the output interface its original route
	// chose, so "-o lo" misses it; its rewritten destination does not.
	filter := hostPrefix(loopback(fam))
	for _, proto := range []string{"udp", "tcp"} {
		r = append(r, fmt.Sprintf("-d %s -p %s -m %s --dport %d -j ACCEPT", filter, proto, proto, cfg.DNSPort))
	}
	r = append(r, checkedRules(cfg, withSet)...)
	r = append(r,
		fmt.Sprintf("-m mark --mark %s -j ACCEPT", mark),
		"-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	)
	r = append(r, toHost(cfg, fam)...)
	if fam == IPv6 {
		r = append(r, neighbourDiscoveryOut()...)
	}
	if withSet {
		// A new TCP connection to an allowed address is marked pending and
		// its packets go to the name check until it is judged. Only a SYN
		// starts one: a packet from the middle of a stream whose conntrack
		// entry is gone (a cut connection) is reset below. UDP to an
		// allowed address is refused: a name cannot be checked in it, and
		// QUIC clients fall back to TCP. Ping stays.
		set := fmt.Sprintf("-p tcp -m set --match-set %s dst -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW", setName(cfg, fam))
		r = append(r,
			fmt.Sprintf("%s -j CONNMARK --set-xmark %s", set, connMark(cfg, cfg.EgressMarks.Pending)),
			fmt.Sprintf("%s -j NFQUEUE --queue-num %d", set, cfg.EgressQueue),
			fmt.Sprintf("-p %s -m set --match-set %s dst -j ACCEPT", icmpProto(fam), setName(cfg, fam)))
	}
	return append(r,
		fmt.Sprintf("-m limit --limit %s --limit-burst %d -j NFLOG --nflog-prefix %s --nflog-group %d",
			nflogLimit, nflogBurst, nflogPrefix, cfg.NFLogGroup),
		"-p tcp -j REJECT --reject-with tcp-reset",
		"-j REJECT --reject-with "+portUnreachable(fam),
	)
}

// inRules keep other containers and hosts out in every mode; only the host
// (for previews) and replies get in.
func inRules(cfg Config, fam Family) []string {
	r := []string{
		"-i lo -j ACCEPT",
		"-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	}
	for _, gw := range cfg.HostGateways {
		if fam.has(gw) {
			r = append(r, fmt.Sprintf("-s %s -j ACCEPT", hostPrefix(gw)))
		}
	}
	if fam == IPv6 {
		r = append(r, neighbourDiscovery()...)
	}
	return append(r, "-j DROP")
}

// checkedRules act on the connections the name check marks. In restricted
// mode a passed connection goes on in the kernel, a pending one's packets go
// to the check, a refused one is reset; a packet the check sends back marked
// passed or refused (its verdict) has the mark saved to its connection
// first. In none mode nothing of theirs goes on but passed connections,
// which the mode switch cuts.
func checkedRules(cfg Config, restricted bool) []string {
	m := cfg.EgressMarks
	reset := "-j REJECT --reject-with tcp-reset"
	if !restricted {
		return []string{
			fmt.Sprintf("-p tcp -m connmark --mark %s %s", connMark(cfg, m.Pending), reset),
			fmt.Sprintf("-p tcp -m connmark --mark %s %s", connMark(cfg, m.Refused), reset),
		}
	}
	save := fmt.Sprintf("-j CONNMARK --save-mark --nfmask 0x%x --ctmask 0x%x", m.Mask, m.Mask)
	return []string{
		fmt.Sprintf("-p tcp -m connmark --mark %s -j ACCEPT", connMark(cfg, m.Passed)),
		fmt.Sprintf("-p tcp -m mark --mark %s %s", connMark(cfg, m.Passed), save),
		fmt.Sprintf("-p tcp -m mark --mark %s -j ACCEPT", connMark(cfg, m.Passed)),
		fmt.Sprintf("-p tcp -m mark --mark %s %s", connMark(cfg, m.Refused), save),
		fmt.Sprintf("-p tcp -m connmark --mark %s %s", connMark(cfg, m.Refused), reset),
		fmt.Sprintf("-p tcp -m connmark --mark %s -j NFQUEUE --queue-num %d", connMark(cfg, m.Pending), cfg.EgressQueue),
	}
}

func connMark(cfg Config, v uint32) string { return fmt.Sprintf("0x%x/0x%x", v, cfg.EgressMarks.Mask) }

// dnsRules send the agent's queries for any resolver to the DNS filter; the
// filter's own upstream queries carry the mark and go out untouched.
func dnsRules(cfg Config) []string {
	return []string{
		fmt.Sprintf("-m mark --mark %s -j RETURN", markHex(cfg.Mark)),
		fmt.Sprintf("-p udp -m udp --dport 53 -j REDIRECT --to-ports %d", cfg.DNSPort),
		fmt.Sprintf("-p tcp -m tcp --dport 53 -j REDIRECT --to-ports %d", cfg.DNSPort),
	}
}

func icmpProto(fam Family) string {
	if fam == IPv6 {
		return "ipv6-icmp"
	}
	return "icmp"
}

// neighbourDiscoveryOut lets IPv6 find the router and neighbours, and only on
// the link: to link-local and link-scope multicast addresses (unicast checks
// of the gateway are covered by the host gateway rule). Anything else would be
// a way to carry data past the router.
func neighbourDiscoveryOut() []string {
	var r []string
	for _, dst := range []string{"fe80::/10", "ff02::/16"} {
		for _, typ := range []int{133, 135, 136} { // router solicitation; neighbour solicitation, advertisement
			r = append(r, fmt.Sprintf("-d %s -p ipv6-icmp -m icmp6 --icmpv6-type %d -m hl --hl-eq 255 -j ACCEPT", dst, typ))
		}
	}
	return r
}

// neighbourDiscovery lets IPv6 find the router and neighbours. Conntrack does
// not track these messages, and a hop limit of 255 proves they came from the
// link itself.
func neighbourDiscovery() []string {
	var r []string
	for _, typ := range []int{133, 134, 135, 136} { // router solicitation, advertisement; neighbour solicitation, advertisement
		r = append(r, fmt.Sprintf("-p ipv6-icmp -m icmp6 --icmpv6-type %d -m hl --hl-eq 255 -j ACCEPT", typ))
	}
	return r
}

func setName(cfg Config, fam Family) string {
	if fam == IPv6 {
		return cfg.SetV6
	}
	return cfg.SetV4
}

func markHex(mark uint32) string { return fmt.Sprintf("0x%x", mark) }

func hostPrefix(a netip.Addr) string { return netip.PrefixFrom(a, a.BitLen()).String() }

func loopback(fam Family) netip.Addr {
	if fam == IPv6 {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

func portUnreachable(fam Family) string {
	if fam == IPv6 {
		return "icmp6-port-unreachable"
	}
	return "icmp-port-unreachable"
}
