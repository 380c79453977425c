package addrset

import "net/netip"

// notPublic4 and notPublic6 list the ranges an answer must not open: the container's own
// networks, the host's and the cloud's, and IPv6 forms that carry an IPv4
// address inside (which would smuggle a private IPv4 past this list).
// Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are deliberately absent: tests use them as "the internet".
var notPublic4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network", unspecified
	netip.MustParsePrefix("10.0.0.0/8"),     // private
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, cloud metadata 169.254.169.254
	netip.MustParsePrefix("172.16.0.0/12"),  // private
	netip.MustParsePrefix("192.168.0.0/16"), // private
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast 255.255.255.255
}

var notPublic6 = []netip.Prefix{
	netip.MustParsePrefix("::/96"),          // unspecified, loopback, IPv4-compatible
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64
	netip.MustParsePrefix("64:ff9b:1::/48"), // local NAT64
	netip.MustParsePrefix("2001::/32"),      // Teredo
	netip.MustParsePrefix("2002::/16"),      // 6to4
	netip.MustParsePrefix("fc00::/7"),       // unique local, cloud metadata fd00:ec2::254
	netip.MustParsePrefix("fe80::/10"),      // link-local
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
	netip.MustParsePrefix("ff00::/8"),       // multicast
}

// IsPublic reports whether a could be a host on the internet, as opposed to
// an address inside the container, the host, the local network or the
// cloud provider's metadata service.
func IsPublic(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	list := notPublic4
	if a.Is6() {
		list = notPublic6
		a = a.WithZone("") // prefixes never contain zoned addresses
	}
	for _, p := range list {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
