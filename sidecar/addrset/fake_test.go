package addrset

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// fakeKernel keeps sets in memory with the behaviour of ipset that Sets
// relies on: idempotent create, replace-on-add, absent-is-fine delete and a
// hard size limit.
type fakeKernel struct {
	mu      sync.Mutex
	now     func() time.Time
	sets    map[string]*fakeSet
	adds    int
	dels    int
	failDel error
}

type fakeSet struct {
	fam     family
	max     uint32
	entries map[netip.Addr]fakeEntry
}

type fakeEntry struct {
	timeout uint32
	until   time.Time
}

func newFakeKernel(now func() time.Time) *fakeKernel {
	return &fakeKernel{now: now, sets: map[string]*fakeSet{}}
}

func (k *fakeKernel) create(name string, fam family, maxElem uint32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.sets[name]; ok {
		if s.fam != fam {
			return fmt.Errorf("set %s exists with family %s", name, s.fam)
		}
		return nil
	}
	k.sets[name] = &fakeSet{fam: fam, max: maxElem, entries: map[netip.Addr]fakeEntry{}}
	return nil
}

func (k *fakeKernel) set(name string) (*fakeSet, error) {
	s, ok := k.sets[name]
	if !ok {
		return nil, fmt.Errorf("set %s does not exist", name)
	}
	return s, nil
}

func (k *fakeKernel) flush(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.set(name)
	if err != nil {
		return err
	}
	s.entries = map[netip.Addr]fakeEntry{}
	return nil
}

func (k *fakeKernel) add(name string, addr netip.Addr, timeoutSec uint32) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.adds++
	s, err := k.set(name)
	if err != nil {
		return err
	}
	if timeoutSec == 0 {
		return errors.New("timeout 0 would make a permanent entry")
	}
	if addr.Is4() != (s.fam == inet) {
		return fmt.Errorf("%s does not belong in %s set %s", addr, s.fam, name)
	}
	k.expire(s)
	if _, ok := s.entries[addr]; !ok && uint32(len(s.entries)) >= s.max {
		return fmt.Errorf("adding %s: %w", addr, ErrSetFull)
	}
	s.entries[addr] = fakeEntry{timeout: timeoutSec, until: k.now().Add(time.Duration(timeoutSec) * time.Second)}
	return nil
}

func (k *fakeKernel) expire(s *fakeSet) {
	for a, e := range s.entries {
		if !e.until.After(k.now()) {
			delete(s.entries, a)
		}
	}
}

func (k *fakeKernel) del(name string, addr netip.Addr) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dels++
	if k.failDel != nil {
		return k.failDel
	}
	s, err := k.set(name)
	if err != nil {
		return err
	}
	delete(s.entries, addr)
	return nil
}

func (k *fakeKernel) count(name string) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := k.set(name)
	if err != nil {
		return 0, err
	}
	k.expire(s)
	return len(s.entries), nil
}

func (k *fakeKernel) close() error { return nil }

// members returns the live entries of a set.
func (k *fakeKernel) members(name string) map[netip.Addr]fakeEntry {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[netip.Addr]fakeEntry{}
	if s, ok := k.sets[name]; ok {
		k.expire(s)
		for a, e := range s.entries {
			out[a] = e
		}
	}
	return out
}

func (k *fakeKernel) addCalls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.adds
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
