package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/warden-sh/warden/bench/internal/stats"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/addrset"
)

// result is what setadd prints: one distribution per kind of answer.
type result struct {
	AddrsPerAnswer int           `json:"addrsPerAnswer"`
	IPv4           stats.Summary `json:"ipv4"`
	IPv6           stats.Summary `json:"ipv6"`
	// Held is the hot path: an answer whose addresses the name already holds.
	Held stats.Summary `json:"held"`
}

func run(cfg config) (result, error) {
	res := result{AddrsPerAnswer: cfg.Addrs}
	if cfg.Addrs < 1 || cfg.Addrs > 64 {
		return res, fmt.Errorf("-addrs %d: expect 1 to 64", cfg.Addrs)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("component", "setadd")
	setCfg := addrset.DefaultConfig()
	setCfg.IPv6 = true
	sets := addrset.New(setCfg, log)
	if err := sets.Init(); err != nil {
		return res, fmt.Errorf("creating the sets: %w", err)
	}
	defer func() {
		_ = sets.Flush()
		_ = sets.Close()
	}()

	var err error
	if res.IPv4, err = fresh(sets, cfg, v4Pool(), "v4"); err != nil {
		return res, err
	}
	if res.IPv6, err = fresh(sets, cfg, v6Pool(), "v6"); err != nil {
		return res, err
	}
	if res.Held, err = held(sets, cfg); err != nil {
		return res, err
	}
	return res, nil
}

// fresh adds cfg.Answers answers of addresses the sets do not hold.
func fresh(sets *addrset.Sets, cfg config, p *pool, family string) (stats.Summary, error) {
	took := make([]time.Duration, 0, cfg.Answers)
	if err := sets.Flush(); err != nil {
		return stats.Summary{}, fmt.Errorf("emptying the sets: %w", err)
	}
	for i := range cfg.Answers {
		addrs, ok := p.take(cfg.Addrs)
		if !ok {
			if err := sets.Flush(); err != nil {
				return stats.Summary{}, fmt.Errorf("emptying the sets: %w", err)
			}
			p.reset()
			addrs, _ = p.take(cfg.Addrs)
		}
		entry := shared.Domain(fmt.Sprintf("n%06d.%s.setadd.example", i, family))
		start := time.Now()
		n, err := sets.Add(entry, addrs, uint32(cfg.TTL))
		took = append(took, time.Since(start))
		if err != nil {
			return stats.Summary{}, fmt.Errorf("adding answer %d (%s): %w", i, entry, err)
		}
		if n != len(addrs) {
			return stats.Summary{}, fmt.Errorf("adding answer %d (%s): %d of %d addresses added", i, entry, n, len(addrs))
		}
	}
	return stats.Summarize(took), nil
}

// held repeats one answer the sets already hold for its name.
func held(sets *addrset.Sets, cfg config) (stats.Summary, error) {
	entry := shared.Domain("held.setadd.example")
	addrs, _ := v4Pool().take(cfg.Addrs)
	if _, err := sets.Add(entry, addrs, uint32(cfg.TTL)); err != nil {
		return stats.Summary{}, fmt.Errorf("adding the held answer: %w", err)
	}
	took := make([]time.Duration, 0, cfg.Answers)
	for range cfg.Answers {
		start := time.Now()
		_, err := sets.Add(entry, addrs, uint32(cfg.TTL))
		took = append(took, time.Since(start))
		if err != nil {
			return stats.Summary{}, fmt.Errorf("repeating the held answer: %w", err)
		}
	}
	return stats.Summarize(took), nil
}
