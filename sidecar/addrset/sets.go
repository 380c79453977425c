package addrset

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// Sets is the sidecar's view of its address sets: which entries hold which
// address until when. It is safe for concurrent use.
type Sets struct {
	cfg Config
	log *slog.Logger
	k   kernel
	now func() time.Time

	mu    sync.Mutex
	addrs map[netip.Addr]*member
	names map[shared.Domain]map[netip.Addr]struct{}
	full  map[string]bool // set name -> the last add was refused as full
}

// member is one address in a set.
type member struct {
	// holders maps each entry whose answer carried the address to the end
	// of that answer's lifetime.
	holders map[shared.Domain]time.Time
	// until is when the kernel entry expires; it is never earlier than
	// any holder's lifetime.
	until time.Time
}

// New returns sets backed by the kernel over netlink. The netlink sockets
// open on the first call (normally Init), in the network namespace of the
// calling thread.
func New(cfg Config, log *slog.Logger) *Sets {
	return newWithKernel(cfg, log, &netlinkKernel{}, time.Now)
}

func newWithKernel(cfg Config, log *slog.Logger, k kernel, now func() time.Time) *Sets {
	return &Sets{
		cfg:   cfg,
		log:   log.With("component", "addrset"),
		k:     k,
		now:   now,
		addrs: map[netip.Addr]*member{},
		names: map[shared.Domain]map[netip.Addr]struct{}{},
		full:  map[string]bool{},
	}
}

type setSpec struct {
	name string
	fam  family
}

func (s *Sets) specs() []setSpec {
	specs := []setSpec{{s.cfg.V4Name, inet}}
	if s.cfg.IPv6 {
		specs = append(specs, setSpec{s.cfg.V6Name, inet6})
	}
	return specs
}

func (s *Sets) setFor(a netip.Addr) string {
	if a.Is4() {
		return s.cfg.V4Name
	}
	return s.cfg.V6Name
}

// Init creates the sets if they are missing, replaces them if they exist in
// an unsuitable shape, and empties them.
func (s *Sets) Init() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, spec := range s.specs() {
		if err := s.k.create(spec.name, spec.fam, s.cfg.MaxElem); err != nil {
			return fmt.Errorf("initialising address sets: %w", err)
		}
	}
	return s.flushLocked()
}

// Close releases the netlink sockets. The sets stay in the kernel.
func (s *Sets) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.k.close()
}

// Add records that entry's answer, valid for ttl seconds, carried addrs, and
// puts the public ones in the kernel set of their family. added counts the
// addresses that were not in the set before. It fails with ErrNameCap when
// entry would hold more than PerNameCap addresses (nothing is added then),
// and with ErrSetFull when the kernel set is full (the addresses before the
// refused one stay added).
func (s *Sets) Add(entry shared.Domain, addrs []netip.Addr, ttl uint32) (added int, err error) {
	life := s.cfg.lifetime(ttl)
	timeout := s.cfg.kernelTimeout(life)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	wanted := s.wanted(addrs)
	if err := s.checkCap(entry, wanted, now); err != nil {
		return 0, err
	}
	held := s.names[entry]
	for _, a := range wanted {
		m := s.addrs[a]
		if m == nil || m.until.Sub(now) < life {
			set := s.setFor(a)
			if err := s.k.add(set, a, uint32(timeout/time.Second)); err != nil {
				if errors.Is(err, ErrSetFull) {
					if !s.full[set] {
						s.log.Warn("address set full; refusing new addresses", "set", set, "max", s.cfg.MaxElem)
					}
					s.full[set] = true
				}
				return added, fmt.Errorf("adding addresses for %s: %w", entry, err)
			}
			s.full[set] = false
			if m == nil || !m.until.After(now) {
				added++
			}
			if m == nil {
				m = &member{holders: map[shared.Domain]time.Time{}}
				s.addrs[a] = m
			}
			m.until = now.Add(timeout)
		}
		if exp := now.Add(life); exp.After(m.holders[entry]) {
			m.holders[entry] = exp
		}
		if held == nil {
			held = map[netip.Addr]struct{}{}
			s.names[entry] = held
		}
		held[a] = struct{}{}
	}
	return added, nil
}

// wanted returns the addresses of an answer that belong in a set: public,
// of an enabled family, each once. IPv4 addresses in IPv6-mapped form count
// as the IPv4 address they carry.
func (s *Sets) wanted(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap().WithZone("")
		if !IsPublic(a) || (a.Is6() && !s.cfg.IPv6) {
			continue
		}
		dup := false
		for _, b := range out {
			if a == b {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// checkCap refuses an answer that would make entry hold more than
// PerNameCap addresses, after forgetting the entry's expired holds.
func (s *Sets) checkCap(entry shared.Domain, addrs []netip.Addr, now time.Time) error {
	held := s.names[entry]
	fresh := func() int {
		n := 0
		for _, a := range addrs {
			if _, ok := held[a]; !ok {
				n++
			}
		}
		return n
	}
	if len(held)+fresh() <= s.cfg.PerNameCap {
		return nil
	}
	for a := range held {
		if m := s.addrs[a]; m != nil && !m.holders[entry].After(now) {
			s.release(entry, a, m)
		}
	}
	if len(held)+fresh() <= s.cfg.PerNameCap {
		return nil
	}
	return fmt.Errorf("adding addresses for %s (holds %d, answer brings %d more, cap %d): %w",
		entry, len(held), fresh(), s.cfg.PerNameCap, ErrNameCap)
}
