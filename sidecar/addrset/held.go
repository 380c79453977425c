package addrset

import (
	"net/netip"

	"github.com/warden-sh/warden/shared"
)

// HeldBy lists the addresses the given entries hold now.
func (s *Sets) HeldBy(entries []shared.Domain) []netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []netip.Addr
	for _, e := range entries {
		for a := range s.names[e] {
			out = append(out, a)
		}
	}
	return out
}

// Holds reports whether some entry still holds a.
func (s *Sets) Holds(a netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.addrs[a]
	return m != nil && len(m.holders) > 0
}
