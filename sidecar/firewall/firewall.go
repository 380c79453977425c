package firewall

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// Firewall keeps one network namespace's Warden chains in the state of the
// last applied mode. It is safe for concurrent use.
type Firewall struct {
	cfg      Config
	log      *slog.Logger
	sys      system
	families []Family

	mu sync.Mutex
	// synced is true once this process has written every Warden chain and
	// nothing has failed since; only then can a switch insert a dispatch rule.
	synced  bool
	mode    shared.Mode
	applied map[Family]string // Rules text in force, per family
	compact compactor
}

// New checks the config and which families this namespace needs. It refuses
// to start when IPv6 is up but ip6tables cannot manage rules, since IPv6
// would then leave the namespace unfiltered.
func New(cfg Config, log *slog.Logger) (*Firewall, error) {
	return newWithSystem(cfg, log, newOSSystem())
}

func newWithSystem(cfg Config, log *slog.Logger, sys system) (*Firewall, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	log = log.With("component", "firewall")
	if err := sys.usable(IPv4); err != nil {
		return nil, fmt.Errorf("checking iptables: %w", err)
	}
	families := []Family{IPv4}
	v6up, err := sys.ipv6Present()
	if err != nil {
		return nil, fmt.Errorf("checking for IPv6: %w", err)
	}
	switch v6err := sys.usable(IPv6); {
	case v6err == nil:
		families = append(families, IPv6)
	case v6up:
		return nil, fmt.Errorf("IPv6 is up in this namespace but ip6tables cannot filter it: %w", v6err)
	default:
		log.Warn("ip6tables unusable; IPv6 is down, so only IPv4 rules are written", "err", v6err)
	}
	f := &Firewall{
		cfg:      cfg,
		log:      log,
		sys:      sys,
		families: families,
		applied:  map[Family]string{},
	}
	f.compact.init(f)
	return f, nil
}

// IPv6 reports whether the firewall writes IPv6 rules. The address sets need
// an IPv6 set exactly when it does.
func (f *Firewall) IPv6() bool { return slices.Contains(f.families, IPv6) }

// Apply puts the namespace in mode. It returns once the rules are in force;
// calling it again with the same mode changes nothing. On error the
// namespace may be half way between modes and the next Apply rewrites
// everything.
func (f *Firewall) Apply(mode shared.Mode) error {
	if _, err := shared.ParseMode(string(mode)); err != nil {
		return fmt.Errorf("applying firewall rules: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	start := time.Now()
	if f.synced && f.inForce(mode) {
		return nil
	}
	how := "switch"
	if !f.synced || f.switchTo(mode) != nil {
		how = "full"
		if err := f.writeAll(mode); err != nil {
			return fmt.Errorf("applying firewall rules for mode %s: %w", mode, err)
		}
	}
	f.log.Info("firewall rules applied", "mode", mode, "how", how, "duration", time.Since(start))
	return nil
}

// inForce reports whether the kernel already holds mode's rules.
func (f *Firewall) inForce(mode shared.Mode) bool {
	for _, fam := range f.families {
		if f.applied[fam] != Rules(f.cfg, mode, fam) {
			return false
		}
	}
	return true
}

// switchTo inserts the dispatch rules for mode above the current ones. On
// failure the chains are in an unknown state and a full write must follow.
func (f *Firewall) switchTo(mode shared.Mode) error {
	text := switchRules(f.mode, mode)
	err := f.eachFamily(func(fam Family) error { return f.sys.restore(fam, text) })
	if err != nil {
		f.synced = false
		f.log.Warn("switching firewall mode failed; rewriting all rules", "from", f.mode, "to", mode, "err", err)
		return err
	}
	f.setApplied(mode)
	f.compact.add()
	return nil
}

// writeAll writes every Warden chain of every family, then makes sure the
// built-in chains jump to them. The chains are filled before the jumps exist,
// so a fresh namespace never passes through a half-written state.
func (f *Firewall) writeAll(mode shared.Mode) error {
	f.synced = false
	err := f.eachFamily(func(fam Family) error {
		if err := f.sys.ensureSet(setName(f.cfg, fam), fam); err != nil {
			return err
		}
		if err := f.sys.restore(fam, Rules(f.cfg, mode, fam)); err != nil {
			return err
		}
		return f.ensureJumps(fam)
	})
	if err != nil {
		return err
	}
	f.setApplied(mode)
	f.synced = true
	f.compact.clear()
	return nil
}

func (f *Firewall) setApplied(mode shared.Mode) {
	f.mode = mode
	for _, fam := range f.families {
		f.applied[fam] = Rules(f.cfg, mode, fam)
	}
}

// eachFamily runs fn for every family at once: each family is a separate
// kernel transaction, and on the nf_tables backend most of a restore's time
// is spent waiting, not working.
func (f *Firewall) eachFamily(fn func(Family) error) error {
	errs := make([]error, len(f.families))
	var wg sync.WaitGroup
	for i, fam := range f.families {
		wg.Go(func() {
			if err := fn(fam); err != nil {
				errs[i] = fmt.Errorf("%s: %w", fam, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close stops the pending tidy-up of dispatch chains. The rules deliberately
// stay in the kernel, so the namespace stays closed until the next sidecar
// process rewrites them.
func (f *Firewall) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.compact.stop()
}
