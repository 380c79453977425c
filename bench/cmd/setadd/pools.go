package main

import "net/netip"

// pool hands out documentation addresses not handed out since the last
// reset.
type pool struct {
	next  func(i int) (netip.Addr, bool)
	given int
}

// v4Pool walks 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24, .1 to .254.
func v4Pool() *pool {
	bases := [][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	return &pool{next: func(i int) (netip.Addr, bool) {
		net, host := i/254, i%254+1
		if net >= len(bases) {
			return netip.Addr{}, false
		}
		b := bases[net]
		return netip.AddrFrom4([4]byte{b[0], b[1], b[2], byte(host)}), true
	}}
}

// v6Pool walks 2001:db8::/32; it never runs out in practice, but resets as
// often as the IPv4 pool so both families see sets of the same size.
func v6Pool() *pool {
	return &pool{next: func(i int) (netip.Addr, bool) {
		if i >= 254*3 {
			return netip.Addr{}, false
		}
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), true
	}}
}

// take returns n fresh addresses, or false when the pool cannot give n more.
func (p *pool) take(n int) ([]netip.Addr, bool) {
	out := make([]netip.Addr, 0, n)
	for range n {
		a, ok := p.next(p.given)
		if !ok {
			return nil, false
		}
		out = append(out, a)
		p.given++
	}
	return out, true
}

func (p *pool) reset() { p.given = 0 }
