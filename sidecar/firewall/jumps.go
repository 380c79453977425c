package firewall

import "fmt"

// jump is a rule in a built-in chain sending every packet to a Warden chain.
type jump struct{ table, from, to string }

var jumps = []jump{
	{"filter", "OUTPUT", chainOut},
	{"filter", "INPUT", chainIn},
	{"nat", "OUTPUT", chainDNS},
}

// ensureJumps leaves each jump at position 1 of its built-in chain, exactly
// once, ahead of anything Docker or others put there. A new jump is inserted
// before stray copies are deleted, so the chain is never without one.
func (f *Firewall) ensureJumps(fam Family) error {
	for _, j := range jumps {
		pos, err := f.jumpPositions(fam, j)
		if err != nil {
			return err
		}
		if len(pos) == 1 && pos[0] == 1 {
			continue
		}
		f.log.Info("placing jump to Warden chain", "family", fam, "table", j.table, "chain", j.from, "target", j.to, "found_at", pos)
		extra := pos
		if len(pos) > 0 && pos[0] == 1 {
			extra = pos[1:]
		} else {
			if err := f.sys.insertRule(fam, j.table, j.from, 1, "-j", j.to); err != nil {
				return fmt.Errorf("inserting jump from %s %s to %s: %w", j.table, j.from, j.to, err)
			}
			for i := range extra {
				extra[i]++ // moved down by the insert
			}
		}
		for i := len(extra) - 1; i >= 0; i-- {
			if err := f.sys.deleteRule(fam, j.table, j.from, extra[i]); err != nil {
				return fmt.Errorf("deleting extra jump from %s %s to %s: %w", j.table, j.from, j.to, err)
			}
		}
	}
	return nil
}

// jumpPositions returns the 1-based positions of the jump in its chain.
func (f *Firewall) jumpPositions(fam Family, j jump) ([]int, error) {
	lines, err := f.sys.listRules(fam, j.table, j.from)
	if err != nil {
		return nil, fmt.Errorf("listing %s %s: %w", j.table, j.from, err)
	}
	want := fmt.Sprintf("-A %s -j %s", j.from, j.to)
	var pos []int
	n := 0
	for _, l := range lines {
		if len(l) < 3 || l[:3] != "-A " {
			continue
		}
		n++
		if l == want {
			pos = append(pos, n)
		}
	}
	return pos, nil
}
