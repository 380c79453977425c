package addrset

import (
	"fmt"

	"github.com/warden-sh/warden/shared"
)

// Status describes each kernel set. Entries is the kernel's count; when the
// kernel cannot be asked, it is the number of addresses Sets tracks.
func (s *Sets) Status() []shared.SetStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []shared.SetStatus
	for _, spec := range s.specs() {
		n, err := s.k.count(spec.name)
		if err != nil {
			s.log.Warn("counting set entries", "set", spec.name, "err", err)
			n = s.tracked(spec.fam)
		}
		out = append(out, shared.SetStatus{
			Name:    spec.name,
			Family:  string(spec.fam),
			Entries: n,
			Max:     int(s.cfg.MaxElem),
			Full:    s.full[spec.name] || n >= int(s.cfg.MaxElem),
		})
	}
	return out
}

func (s *Sets) tracked(fam family) int {
	n := 0
	for a := range s.addrs {
		if a.Is4() == (fam == inet) {
			n++
		}
	}
	return n
}

// Problems lists conditions under which allowed names stop working: a full
// set refuses their new addresses, and the DNS filter then fails closed.
func (s *Sets) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, spec := range s.specs() {
		if s.full[spec.name] {
			out = append(out, fmt.Sprintf("address set %s is full (%d entries): new addresses of allowed names are refused until entries expire or names are removed",
				spec.name, s.cfg.MaxElem))
		}
	}
	return out
}
