package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/addrset"
	"github.com/warden-sh/warden/sidecar/dnsfilter"
	"github.com/warden-sh/warden/sidecar/egress"
	"github.com/warden-sh/warden/sidecar/events"
	"github.com/warden-sh/warden/sidecar/firewall"
	"github.com/warden-sh/warden/sidecar/killswitch"
	"github.com/warden-sh/warden/sidecar/nflog"
)

// errNotAllowed refuses set additions for entries no longer on the allowlist.
var errNotAllowed = errors.New("entry is no longer allowed")

// Engine enforces one policy at a time in the namespace it runs in.
type Engine struct {
	cfg     Config
	log     *slog.Logger
	partLog *slog.Logger // untagged, for the parts to tag themselves

	fw     *firewall.Firewall
	sets   *addrset.Sets
	dns    *dnsfilter.Filter
	check  *egress.Check
	events *events.Log
	nflog  *nflog.Reader
	flows  killswitch.Table // the namespace's conntrack table

	applyMu sync.Mutex // serialises Apply

	policyMu sync.RWMutex // guards policy and allowed against set additions
	policy   shared.ValidPolicy
	allowed  map[shared.Domain]bool

	ready     atomic.Bool
	startedAt time.Time
	lastApply atomic.Pointer[shared.ApplyResult]

	bg     sync.WaitGroup
	cancel context.CancelFunc
}

// New builds the parts without touching the kernel.
func New(cfg Config, log *slog.Logger) (*Engine, error) {
	if _, err := cfg.Initial.Validate(); err != nil {
		return nil, fmt.Errorf("checking initial policy: %w", err)
	}
	// Each part tags its own lines; only the engine's carry "engine".
	e := &Engine{cfg: cfg, log: log.With("component", "engine"), partLog: log, events: events.New(cfg.EventCapacity), startedAt: time.Now(),
		flows: killswitch.Kernel{}}
	// The firewall queues to the name check: one queue and one set of
	// marks, set in one place.
	cfg.Firewall.EgressQueue, cfg.Firewall.EgressMarks = cfg.Egress.Queue, cfg.Egress.Marks
	// The firewall keeps the agent off the filter's resolvers.
	cfg.Firewall.Upstreams = nil
	for _, u := range cfg.DNS.Upstreams {
		if ap, err := netip.ParseAddrPort(u); err == nil {
			cfg.Firewall.Upstreams = append(cfg.Firewall.Upstreams, ap)
		}
	}
	fw, err := firewall.New(cfg.Firewall, log)
	if err != nil {
		return nil, fmt.Errorf("preparing firewall: %w", err)
	}
	e.fw = fw
	e.events.SetHostAddrs(cfg.Firewall.HostGateways)
	cfg.Sets.IPv6 = fw.IPv6()
	e.sets = addrset.New(cfg.Sets, log)
	dns, err := dnsfilter.New(cfg.DNS, e, e.events.Record, log)
	if err != nil {
		return nil, fmt.Errorf("preparing DNS filter: %w", err)
	}
	e.dns = dns
	check, err := egress.New(cfg.Egress, e.events.Record, e.events.RecordConnContact, log)
	if err != nil {
		return nil, fmt.Errorf("preparing name check: %w", err)
	}
	e.check = check
	return e, nil
}

// Events is the log of blocked attempts.
func (e *Engine) Events() *events.Log { return e.events }

// Start closes the namespace, brings every part up, applies the initial
// policy and only then reports ready.
func (e *Engine) Start(ctx context.Context) error {
	// The default drop goes in first: whatever state a previous run left,
	// from here on nothing leaves but loopback and the host.
	if err := e.fw.Apply(shared.ModeNone); err != nil {
		return fmt.Errorf("installing default drop: %w", err)
	}
	if err := e.sets.Init(); err != nil {
		return fmt.Errorf("creating address sets: %w", err)
	}
	e.dns.SetPolicy(shared.ModeNone, shared.NewMatcher(nil))
	if err := e.dns.Start(); err != nil {
		return fmt.Errorf("starting DNS filter: %w", err)
	}
	// Restricted mode queues TCP to allowed addresses here; without a
	// reader the kernel drops those packets, so a failure keeps the
	// namespace closed.
	if err := e.check.Start(); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	reader, err := nflog.Open(e.cfg.Firewall.NFLogGroup, e.partLog)
	if err != nil {
		return fmt.Errorf("opening NFLOG group %d: %w", e.cfg.Firewall.NFLogGroup, err)
	}
	e.nflog = reader
	e.goBackground(func() {
		if err := reader.Run(runCtx, e.events.Record); err != nil && runCtx.Err() == nil {
			e.log.Error("reading rejected connections stopped", "err", err)
		}
	})
	e.goBackground(func() { e.pruneLoop(runCtx) })

	initial, _ := e.cfg.Initial.Validate()
	if _, err := e.Apply(ctx, initial); err != nil {
		return fmt.Errorf("applying initial policy: %w", err)
	}
	e.ready.Store(true)
	e.log.Info("ready", "mode", initial.Mode, "domains", len(initial.Domains))
	return nil
}

// Shutdown stops serving DNS and reading events. The rules stay in the
// kernel so the namespace stays closed until the next start.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.ready.Store(false)
	if e.cancel != nil {
		e.cancel()
	}
	if e.nflog != nil {
		e.nflog.Close()
	}
	err := e.dns.Shutdown(ctx)
	e.check.Close()
	e.bg.Wait()
	return err
}

// Apply makes p the enforced policy. It is safe to call again with the same
// policy; callers are expected to have validated p (shared.Policy.Validate).
func (e *Engine) Apply(ctx context.Context, p shared.ValidPolicy) (shared.ApplyResult, error) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	start := time.Now()
	res := shared.ApplyResult{Mode: p.Mode, Domains: p.Policy().Domains, AppliedAt: start}

	cut, err := e.apply(p)
	res.Cut = cut
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		res.Error = err.Error()
	}
	e.lastApply.Store(&res)
	if err != nil {
		e.log.Error("applying policy failed", "mode", p.Mode, "err", err)
		return res, err
	}
	e.log.Info("policy applied", "mode", p.Mode, "domains", len(p.Domains), "ms", res.DurationMs)
	return res, nil
}

func (e *Engine) apply(p shared.ValidPolicy) (cut int, err error) {
	e.policyMu.Lock()
	old := e.policy
	dropped := e.droppedAddrs(old, p)
	e.policy, e.allowed = p, allowedEntries(p)
	// New questions and connections are judged by the new policy from here on.
	e.judgeBy(p)
	if p.Mode == shared.ModeRestricted {
		err = e.sets.Retain(p.Allowed())
	}
	e.policyMu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("removing addresses of dropped names: %w", err)
	}

	if err := e.fw.SetHost(p.HostAccess, p.HostPorts); err != nil {
		e.rollback(old)
		return 0, err
	}
	if err := e.fw.Apply(p.Mode); err != nil {
		e.rollback(old)
		return 0, fmt.Errorf("applying %s rules: %w", p.Mode, err)
	}
	cut = e.cut(old, p, dropped)
	if p.Mode != shared.ModeRestricted {
		if err := e.sets.Flush(); err != nil {
			return cut, fmt.Errorf("emptying address sets: %w", err)
		}
		return cut, nil
	}
	toResolve, _ := old.Diff(p)
	if old.Mode != shared.ModeRestricted {
		toResolve = p.Domains
	}
	e.resolveInBackground(shared.AllowEntries(toResolve))
	return cut, nil
}

// judgeBy makes p's allowlist the one the DNS filter and the name check
// judge by; the caller holds policyMu.
func (e *Engine) judgeBy(p shared.ValidPolicy) {
	m := shared.NewMatcher(p.Domains)
	e.dns.SetPolicy(p.Mode, m)
	e.check.SetPolicy(m)
}

// rollback puts the previous policy back after a failed firewall apply, so a
// refused change leaves the namespace as it was rather than half changed.
func (e *Engine) rollback(old shared.ValidPolicy) {
	e.policyMu.Lock()
	e.policy, e.allowed = old, allowedEntries(old)
	e.judgeBy(old)
	e.policyMu.Unlock()
	if old.Mode != "" {
		if err := e.fw.SetHost(old.HostAccess, old.HostPorts); err != nil {
			e.log.Error("restoring previous host access", "access", old.HostAccess, "err", err)
		}
		if err := e.fw.Apply(old.Mode); err != nil {
			e.log.Error("restoring previous rules", "mode", old.Mode, "err", err)
		}
	}
}

// allowedEntries is the set of entries whose answers may add addresses: the
// allow entries in restricted mode, none otherwise.
func allowedEntries(p shared.ValidPolicy) map[shared.Domain]bool {
	if p.Mode != shared.ModeRestricted {
		return map[shared.Domain]bool{}
	}
	allowed := make(map[shared.Domain]bool, len(p.Domains))
	for _, d := range p.Allowed() {
		allowed[d] = true
	}
	return allowed
}

// Add is the DNS filter's way into the sets; see the package doc for why it
// holds the policy lock.
func (e *Engine) Add(entry shared.Domain, addrs []netip.Addr, ttl uint32) (int, error) {
	e.policyMu.RLock()
	defer e.policyMu.RUnlock()
	if !e.allowed[entry] {
		return 0, fmt.Errorf("adding addresses for %q: %w", entry, errNotAllowed)
	}
	return e.sets.Add(entry, addrs, ttl)
}

// resolveInBackground looks up exact entries so that a tool which already
// knows an address keeps working after the edit.
func (e *Engine) resolveInBackground(entries []shared.Domain) {
	if len(entries) == 0 {
		return
	}
	e.goBackground(func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.cfg.ResolveTimeout)
		defer cancel()
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for _, d := range entries {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := e.dns.Resolve(ctx, d); err != nil {
					e.log.Debug("resolving new entry", "domain", d, "err", err)
				}
			}()
		}
		wg.Wait()
	})
}

func (e *Engine) pruneLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			e.sets.Prune(now)
			if flows, err := e.flows.Dump(); err == nil {
				e.check.Prune(flows, now)
			} else {
				e.log.Warn("reading the connection table to prune the name check's", "err", err)
			}
		}
	}
}

func (e *Engine) goBackground(fn func()) {
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		fn()
	}()
}

// Status reports the enforced policy and the state of every part.
func (e *Engine) Status() shared.Status {
	e.policyMu.RLock()
	p := e.policy.Policy()
	e.policyMu.RUnlock()
	st := shared.Status{
		Version:       e.cfg.Version,
		Ready:         e.ready.Load(),
		Mode:          p.Mode,
		Domains:       p.Domains,
		StartedAt:     e.startedAt,
		UptimeSeconds: time.Since(e.startedAt).Seconds(),
		Sets:          e.sets.Status(),
		DNS:           e.dns.Counters(),
		Egress:        e.check.Counters(),
		LastApply:     e.lastApply.Load(),
		Problems:      e.sets.Problems(),
	}
	if la := st.LastApply; la != nil && la.Error != "" {
		st.Problems = append(st.Problems, "last policy apply failed: "+la.Error)
	}
	return st
}
