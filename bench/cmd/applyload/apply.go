package main

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-sh/warden/bench/internal/stats"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

// result is what applyload prints. Sidecar is the apply's own duration as
// the sidecar reports it (lastApply.durationMs); RoundTrip is PUT /v1/policy
// as the client saw it, HTTP over the unix socket included.
type result struct {
	Domains    int   `json:"domains"`
	SwapLists  phase `json:"swapLists"`
	SwitchMode phase `json:"switchMode"`
}

type phase struct {
	Applies   int           `json:"applies"`
	Sidecar   stats.Summary `json:"sidecar"`
	RoundTrip stats.Summary `json:"roundTrip"`
	// Unsettled counts applies made before the sets had filled (the wait
	// timed out); those removed fewer addresses than the others.
	Unsettled int `json:"unsettled"`
	// HeldBefore sums the IPv4 set entries present before each apply: what
	// the applies had to remove from the kernel, or keep.
	HeldBefore int `json:"heldBefore"`
}

func run(ctx context.Context, c *control.Client, cfg config) (result, error) {
	res := result{Domains: cfg.Domains}
	if cfg.Domains < 1 || cfg.Domains > maxDomains {
		return res, fmt.Errorf("-domains %d: expect 1 to %d", cfg.Domains, maxDomains)
	}
	if cfg.Applies < 1 {
		return res, fmt.Errorf("-applies %d: expect at least 1", cfg.Applies)
	}
	if err := c.Healthz(ctx); err != nil {
		return res, fmt.Errorf("checking the sidecar: %w", err)
	}
	a, b := policy(cfg, 0), policy(cfg, 1)
	none := shared.Policy{Mode: shared.ModeNone, Domains: a.Domains}

	// Untimed: start from list a with its addresses in the sets.
	if _, err := c.PutPolicy(ctx, a); err != nil {
		return res, fmt.Errorf("applying the first list: %w", err)
	}
	var err error
	if res.SwapLists, err = measure(ctx, c, cfg, []shared.Policy{b, a}); err != nil {
		return res, fmt.Errorf("swapping lists: %w", err)
	}
	if res.SwitchMode, err = measure(ctx, c, cfg, []shared.Policy{none, a}); err != nil {
		return res, fmt.Errorf("switching modes: %w", err)
	}
	return res, nil
}

// measure applies the policies in turn, cfg.Applies times in all, waiting
// before each for the sets to hold what the policy in force resolves to.
func measure(ctx context.Context, c *control.Client, cfg config, turn []shared.Policy) (phase, error) {
	ph := phase{Applies: cfg.Applies}
	var sidecar, rtt []time.Duration
	current := shared.ModeRestricted
	for i := range cfg.Applies {
		want := 0
		if current == shared.ModeRestricted {
			want = cfg.Domains
		}
		held, settled, err := waitForSet(ctx, c, want, cfg.Settle)
		if err != nil {
			return ph, err
		}
		if !settled {
			ph.Unsettled++
		}
		ph.HeldBefore += held
		p := turn[i%len(turn)]
		start := time.Now()
		applied, err := c.PutPolicy(ctx, p)
		took := time.Since(start)
		if err != nil {
			return ph, fmt.Errorf("apply %d (%s, %d domains): %w", i, p.Mode, len(p.Domains), err)
		}
		st, err := c.Status(ctx)
		if err != nil {
			return ph, fmt.Errorf("reading status after apply %d: %w", i, err)
		}
		if st.LastApply == nil || !st.LastApply.AppliedAt.Equal(applied.AppliedAt) {
			return ph, fmt.Errorf("status after apply %d does not report that apply as the last one", i)
		}
		sidecar = append(sidecar, time.Duration(st.LastApply.DurationMs*float64(time.Millisecond)))
		rtt = append(rtt, took)
		current = p.Mode
	}
	ph.Sidecar = stats.Summarize(sidecar)
	ph.RoundTrip = stats.Summarize(rtt)
	return ph, nil
}

// waitForSet polls the status until the IPv4 set holds want entries or
// limit passes, and returns how many it held at the end.
func waitForSet(ctx context.Context, c *control.Client, want int, limit time.Duration) (int, bool, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return 0, false, fmt.Errorf("reading status: %w", err)
		}
		n := v4Entries(st)
		if n == want {
			return n, true, nil
		}
		if time.Now().After(deadline) {
			return n, false, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func v4Entries(st shared.Status) int {
	for _, s := range st.Sets {
		if s.Family == "inet" {
			return s.Entries
		}
	}
	return 0
}
