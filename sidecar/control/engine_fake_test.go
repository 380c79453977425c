package control

import (
	"context"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// fakeEngine records every apply. applyErr makes Apply fail; hold, when
// set, makes Apply wait until it is closed.
type fakeEngine struct {
	mu       sync.Mutex
	status   shared.Status
	applied  []shared.ValidPolicy
	applyErr error
	hold     chan struct{}
	ctxErrs  []error // ctx.Err() seen by each Apply as it returned
	running  int
	overlap  bool
}

func (f *fakeEngine) Status() shared.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeEngine) Apply(ctx context.Context, p shared.ValidPolicy) (shared.ApplyResult, error) {
	f.mu.Lock()
	f.running++
	if f.running > 1 {
		f.overlap = true
	}
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	if f.applyErr != nil {
		return shared.ApplyResult{}, f.applyErr
	}
	f.applied = append(f.applied, p)
	wire := p.Policy()
	return shared.ApplyResult{
		Mode:       p.Mode,
		Domains:    wire.Domains,
		AppliedAt:  time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		DurationMs: 1.5,
	}, nil
}

func (f *fakeEngine) appliedPolicies() []shared.ValidPolicy {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]shared.ValidPolicy(nil), f.applied...)
}
