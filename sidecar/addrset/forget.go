package addrset

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/warden-sh/warden/shared"
)

// release forgets that entry holds a. The member stays while its kernel
// entry may be alive, so Retain can still delete it.
func (s *Sets) release(entry shared.Domain, a netip.Addr, m *member) {
	delete(m.holders, entry)
	if held := s.names[entry]; held != nil {
		delete(held, a)
		if len(held) == 0 {
			delete(s.names, entry)
		}
	}
}

// Retain forgets every holder whose entry is not in keep and deletes from the
// kernel each address no entry holds any more, so a removed name's addresses
// stop working at once. An address a kept entry also holds stays.
func (s *Sets) Retain(keep []shared.Domain) error {
	keepSet := make(map[shared.Domain]bool, len(keep))
	for _, d := range keep {
		keepSet[d] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for entry, held := range s.names {
		if keepSet[entry] {
			continue
		}
		for a := range held {
			if m := s.addrs[a]; m != nil {
				delete(m.holders, entry)
			}
		}
		delete(s.names, entry)
	}
	var errs []error
	removed := 0
	for a, m := range s.addrs {
		if len(m.holders) > 0 {
			continue
		}
		if err := s.k.del(s.setFor(a), a); err != nil {
			errs = append(errs, err) // kept, so the next Retain tries again
			continue
		}
		delete(s.addrs, a)
		s.full[s.setFor(a)] = false
		removed++
	}
	if removed > 0 {
		s.log.Debug("addresses of dropped names removed", "count", removed)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing addresses no name holds: %w", err)
	}
	return nil
}

// Flush forgets every address and empties the kernel sets.
func (s *Sets) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flushLocked()
}

func (s *Sets) flushLocked() error {
	s.addrs = map[netip.Addr]*member{}
	s.names = map[shared.Domain]map[netip.Addr]struct{}{}
	s.full = map[string]bool{}
	for _, spec := range s.specs() {
		if err := s.k.flush(spec.name); err != nil {
			return fmt.Errorf("emptying address sets: %w", err)
		}
	}
	return nil
}

// Prune forgets holders whose answers expired by now, and addresses whose
// kernel entries have expired. It makes no kernel call: the kernel expires
// entries through their timeouts.
func (s *Sets) Prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for a, m := range s.addrs {
		for entry, exp := range m.holders {
			if !exp.After(now) {
				s.release(entry, a, m)
			}
		}
		if !m.until.After(now) {
			for entry := range m.holders {
				s.release(entry, a, m)
			}
			delete(s.addrs, a)
		}
	}
}
