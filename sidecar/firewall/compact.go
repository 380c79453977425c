package firewall

import "time"

// A mode switch leaves the previous dispatch rules in WARDEN-OUT and
// WARDEN-DNS, shadowed by the new first rule. Deleting them costs an RCU grace
// period (see the package doc), so the compactor does it off the Apply path:
// once per compactDelay at most, or at once when too many have piled up.
const (
	compactDelay = time.Second
	maxShadowed  = 256
)

// compactor rewrites the dispatch chains of its firewall without shadowed
// rules. All its methods run with the firewall's mutex held.
type compactor struct {
	f        *Firewall
	delay    time.Duration
	shadowed int
	timer    *time.Timer
	gen      int // tells a timer that fired late from the current one
	stopped  bool
}

func (c *compactor) init(f *Firewall) {
	c.f = f
	c.delay = compactDelay
}

// add records that a switch shadowed the dispatch rules.
func (c *compactor) add() {
	c.shadowed++
	if c.shadowed >= maxShadowed {
		_ = c.run()
		return
	}
	if c.timer == nil && !c.stopped {
		c.gen++
		gen := c.gen
		c.timer = time.AfterFunc(c.delay, func() { c.fire(gen) })
	}
}

func (c *compactor) fire(gen int) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	if gen != c.gen || c.stopped {
		return
	}
	c.timer = nil
	_ = c.run()
}

// run rewrites the dispatch chains now. A failure leaves the firewall
// unsynced, so the next Apply rewrites everything.
func (c *compactor) run() error {
	if c.shadowed == 0 || !c.f.synced {
		return nil
	}
	text := compactRules(c.f.mode)
	if err := c.f.eachFamily(func(fam Family) error { return c.f.sys.restore(fam, text) }); err != nil {
		c.f.synced = false
		c.f.log.Warn("removing shadowed dispatch rules failed; the next apply rewrites all rules", "err", err)
		return err
	}
	c.shadowed = 0
	c.f.log.Debug("shadowed dispatch rules removed", "mode", c.f.mode)
	return nil
}

// clear forgets shadowed rules after a full write removed them.
func (c *compactor) clear() {
	c.shadowed = 0
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.gen++
}

func (c *compactor) stop() {
	c.clear()
	c.stopped = true
}

// compactNow removes shadowed dispatch rules without waiting for the timer.
func (f *Firewall) compactNow() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.compact.run()
}
