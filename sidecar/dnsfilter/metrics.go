package dnsfilter

import (
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/shared"
)

// counters are bumped on the hot path, so they are plain atomics.
type counters struct {
	allowed        atomic.Uint64 // queries the policy let through (forwarded or failed upstream)
	refused        atomic.Uint64 // queries answered REFUSED
	forwarded      atomic.Uint64 // queries answered from upstream
	local          atomic.Uint64 // queries answered from local names
	upstreamErrors atomic.Uint64 // failed attempts at one upstream
	forged         atomic.Uint64 // unexpected replies on upstream sockets
}

func (c *counters) snapshot() shared.DNSCounters {
	return shared.DNSCounters{
		Allowed:        c.allowed.Load(),
		Refused:        c.refused.Load(),
		Forwarded:      c.forwarded.Load(),
		Local:          c.local.Load(),
		UpstreamErrors: c.upstreamErrors.Load(),
	}
}

// rateLimit lets a warning through at most once a second, so a flood of
// failing queries cannot flood the log.
type rateLimit struct{ last atomic.Int64 }

func (r *rateLimit) allow() bool {
	now := time.Now().UnixNano()
	last := r.last.Load()
	return now-last >= int64(time.Second) && r.last.CompareAndSwap(last, now)
}
