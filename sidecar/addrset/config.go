package addrset

import "time"

// Config sizes the sets and bounds how long an answer keeps an address.
type Config struct {
	// V4Name and V6Name name the kernel sets; the firewall's rules refer to
	// the same names.
	V4Name string `json:"v4Name"`
	V6Name string `json:"v6Name"`
	// MaxElem is the most addresses one set holds. A full set refuses new
	// addresses (ErrSetFull) rather than dropping old ones.
	MaxElem uint32 `json:"maxElem"`
	// PerNameCap is the most addresses one allowlist entry may hold, so a
	// single name cannot fill the set.
	PerNameCap int `json:"perNameCap"`
	// TTLFloor is the shortest time an answer keeps its addresses, whatever
	// its TTL (rounded up to whole seconds, at least one).
	TTLFloor time.Duration `json:"ttlFloor"`
	// TTLMax is the longest.
	TTLMax time.Duration `json:"ttlMax"`
	// IPv6 creates and fills the IPv6 set; without it IPv6 addresses are
	// skipped.
	IPv6 bool `json:"ipv6"`
}

// DefaultConfig returns the values the sidecar runs with unless told otherwise.
func DefaultConfig() Config {
	return Config{
		V4Name:     "warden4",
		V6Name:     "warden6",
		MaxElem:    65536,
		PerNameCap: 256,
		TTLFloor:   60 * time.Second,
		TTLMax:     24 * time.Hour,
		IPv6:       true,
	}
}

// maxKernelTimeout is the longest timeout ipset accepts, in seconds.
const maxKernelTimeout = (1<<31 - 1) / 1000

// lifetime is how long an answer with this TTL keeps its addresses: the TTL
// clamped to [TTLFloor, TTLMax], in whole seconds and never zero, since a
// zero timeout in ipset means "never expires".
func (cfg Config) lifetime(ttl uint32) time.Duration {
	floor := max(ceilSeconds(cfg.TTLFloor), time.Second)
	d := max(time.Duration(ttl)*time.Second, floor)
	if top := max(ceilSeconds(cfg.TTLMax), floor); d > top {
		d = top
	}
	return min(d, maxKernelTimeout*time.Second)
}

// kernelTimeout is the timeout written with an address: half as long again
// as the lifetime (within TTLMax), so that an entry refreshed less often than
// every answer still outlives every answer's lifetime. Add skips the kernel
// while the entry's remaining time covers the new lifetime.
func (cfg Config) kernelTimeout(life time.Duration) time.Duration {
	t := life + life/2
	if top := max(ceilSeconds(cfg.TTLMax), life); t > top {
		t = top
	}
	return min(ceilSeconds(t), maxKernelTimeout*time.Second)
}

func ceilSeconds(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}
