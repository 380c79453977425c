package api

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// fakeService answers every call with canned values and counts the calls
// that reached it. err, when set, is returned by every call that can fail.
type fakeService struct {
	Service

	calls atomic.Int64
	err   error

	mu      sync.Mutex
	spec    project.Spec
	patch   project.Patch
	ref     string
	limit   int
	project project.Project
	push    daemon.PushResult
	events  []shared.Event
	// live, when set, feeds Follow after the backlog.
	live chan shared.Event
	// audit is the last audit query.
	audit daemon.AuditQuery
}

func newFakeService() *fakeService {
	return &fakeService{project: project.Project{ID: "a1b2c3d4e5f6", Name: "web", Desired: project.DesiredStopped}}
}

func (f *fakeService) seen(ref string) {
	f.calls.Add(1)
	f.mu.Lock()
	f.ref = ref
	f.mu.Unlock()
}

func (f *fakeService) Create(ctx context.Context, spec project.Spec) (project.Project, error) {
	f.seen("")
	f.mu.Lock()
	f.spec = spec
	f.mu.Unlock()
	return f.project, f.err
}

func (f *fakeService) List(ctx context.Context) ([]project.Project, error) {
	f.seen("")
	return []project.Project{f.project}, f.err
}

func (f *fakeService) Get(ctx context.Context, ref string) (project.Project, error) {
	f.seen(ref)
	return f.project, f.err
}

func (f *fakeService) Update(ctx context.Context, ref string, patch project.Patch) (project.Project, daemon.PushResult, error) {
	f.seen(ref)
	f.mu.Lock()
	f.patch = patch
	f.mu.Unlock()
	return f.project, f.push, f.err
}

func (f *fakeService) Delete(ctx context.Context, ref string) error {
	f.seen(ref)
	return f.err
}

func (f *fakeService) Start(ctx context.Context, ref string) (project.Project, daemon.PushResult, error) {
	f.seen(ref)
	return f.project, f.push, f.err
}

func (f *fakeService) Stop(ctx context.Context, ref string) (project.Project, error) {
	f.seen(ref)
	return f.project, f.err
}

func (f *fakeService) Restart(ctx context.Context, ref string) (project.Project, daemon.PushResult, error) {
	f.seen(ref)
	return f.project, f.push, f.err
}

func (f *fakeService) Status(ctx context.Context, ref string) (daemon.Status, error) {
	f.seen(ref)
	return daemon.Status{Project: f.project, Ports: []int{5173}}, f.err
}

func (f *fakeService) Events(ctx context.Context, ref string, limit int) ([]shared.Event, error) {
	f.seen(ref)
	f.mu.Lock()
	f.limit = limit
	f.mu.Unlock()
	return f.events, f.err
}

func (f *fakeService) Follow(ctx context.Context, ref string, limit int, fn func(shared.Event)) error {
	f.seen(ref)
	for _, e := range f.events {
		fn(e)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-f.live:
			fn(e)
		}
	}
}

func (f *fakeService) Presets() daemon.Presets {
	f.seen("")
	return daemon.Presets{Infrastructure: []string{"github.com"}}
}
