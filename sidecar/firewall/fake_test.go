package firewall

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// fakeSystem keeps chains and sets in memory and applies restore input the
// way iptables-restore --noflush does: all or nothing, ":CHAIN" creating or
// flushing a chain.
type fakeSystem struct {
	mu       sync.Mutex
	chains   map[string][]string // "ipv4/filter/OUTPUT" -> "-A OUTPUT ..." lines
	sets     map[string]bool
	v6up     bool
	v6broken error
	calls    []string
	restores []string
	// failRestore, when set, may refuse a restore before it is applied.
	failRestore func(fam Family, rules string) error
}

var builtin = map[string][]string{
	"filter": {"INPUT", "FORWARD", "OUTPUT"},
	"nat":    {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
}

func newFakeSystem() *fakeSystem {
	s := &fakeSystem{chains: map[string][]string{}, sets: map[string]bool{}, v6up: true}
	for _, fam := range []Family{IPv4, IPv6} {
		for table, names := range builtin {
			for _, name := range names {
				s.chains[chainKey(fam, table, name)] = nil
			}
		}
	}
	return s
}

func chainKey(fam Family, table, chain string) string {
	return fam.String() + "/" + table + "/" + chain
}

func isBuiltin(table, chain string) bool { return slices.Contains(builtin[table], chain) }

func (s *fakeSystem) record(call string) { s.calls = append(s.calls, call) }

func (s *fakeSystem) restore(fam Family, rules string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("restore " + fam.String())
	s.restores = append(s.restores, fam.String()+"\n"+rules)
	if s.failRestore != nil {
		if err := s.failRestore(fam, rules); err != nil {
			return err
		}
	}
	next := maps.Clone(s.chains)
	table := ""
	for i, line := range strings.Split(strings.TrimSuffix(rules, "\n"), "\n") {
		bad := func(why string) error { return fmt.Errorf("line %d %q: %s", i+1, line, why) }
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "*"):
			table = line[1:]
		case line == "COMMIT":
			table = ""
		case table == "":
			return bad("outside a table")
		case strings.HasPrefix(line, ":"):
			next[chainKey(fam, table, f[0][1:])] = nil
		case len(f) >= 3 && (f[0] == "-A" || f[0] == "-I"):
			key := chainKey(fam, table, f[1])
			old, ok := next[key]
			if !ok {
				return bad("no such chain")
			}
			spec := f[2:]
			pos := len(old)
			if f[0] == "-I" {
				n, err := strconv.Atoi(f[2])
				if err != nil || n < 1 || n > len(old)+1 {
					return bad("bad position")
				}
				pos, spec = n-1, f[3:]
			}
			if err := s.checkRefs(next, fam, table, spec); err != nil {
				return bad(err.Error())
			}
			rule := "-A " + f[1] + " " + strings.Join(spec, " ")
			next[key] = slices.Insert(slices.Clone(old), pos, rule)
		default:
			return bad("not understood")
		}
	}
	s.chains = next
	return nil
}

// checkRefs refuses rules naming a chain or set that does not exist, as the
// kernel does.
func (s *fakeSystem) checkRefs(chains map[string][]string, fam Family, table string, spec []string) error {
	for i := 0; i+1 < len(spec); i++ {
		switch spec[i] {
		case "-j", "-g":
			target := spec[i+1]
			if strings.HasPrefix(target, "WARDEN") || strings.HasPrefix(target, "DOCKER") {
				if _, ok := chains[chainKey(fam, table, target)]; !ok {
					return fmt.Errorf("no chain %s", target)
				}
			}
		case "--match-set":
			if !s.sets[spec[i+1]] {
				return fmt.Errorf("set %s doesn't exist", spec[i+1])
			}
		}
	}
	return nil
}

func (s *fakeSystem) listRules(fam Family, table, chain string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(fmt.Sprintf("list %s %s %s", fam, table, chain))
	rules, ok := s.chains[chainKey(fam, table, chain)]
	if !ok {
		return nil, errors.New("no such chain")
	}
	head := "-N " + chain
	if isBuiltin(table, chain) {
		head = "-P " + chain + " ACCEPT"
	}
	return append([]string{head}, rules...), nil
}

func (s *fakeSystem) insertRule(fam Family, table, chain string, pos int, spec ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(fmt.Sprintf("insert %s %s %s %d", fam, table, chain, pos))
	key := chainKey(fam, table, chain)
	rules, ok := s.chains[key]
	if !ok || pos < 1 || pos > len(rules)+1 {
		return errors.New("bad insert")
	}
	if err := s.checkRefs(s.chains, fam, table, spec); err != nil {
		return err
	}
	s.chains[key] = slices.Insert(slices.Clone(rules), pos-1, "-A "+chain+" "+strings.Join(spec, " "))
	return nil
}

func (s *fakeSystem) deleteRule(fam Family, table, chain string, pos int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record(fmt.Sprintf("delete %s %s %s %d", fam, table, chain, pos))
	key := chainKey(fam, table, chain)
	rules, ok := s.chains[key]
	if !ok || pos < 1 || pos > len(rules) {
		return errors.New("bad delete")
	}
	s.chains[key] = slices.Delete(slices.Clone(rules), pos-1, pos)
	return nil
}

func (s *fakeSystem) ensureSet(name string, fam Family) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record("set " + name)
	s.sets[name] = true
	return nil
}

func (s *fakeSystem) ipv6Present() (bool, error) { return s.v6up, nil }

func (s *fakeSystem) usable(fam Family) error {
	if fam == IPv6 {
		return s.v6broken
	}
	return nil
}

// dump prints every chain of a family, sorted, for comparing whole states.
func (s *fakeSystem) dump(fam Family) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, key := range slices.Sorted(maps.Keys(s.chains)) {
		if !strings.HasPrefix(key, fam.String()+"/") {
			continue
		}
		fmt.Fprintf(&b, "%s\n", key)
		for _, r := range s.chains[key] {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	return b.String()
}

func (s *fakeSystem) rules(fam Family, table, chain string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.chains[chainKey(fam, table, chain)])
}

func (s *fakeSystem) restoreCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.restores)
}

func (s *fakeSystem) lastRestores(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.restores[len(s.restores)-n:])
}
