package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

// fakeStore keeps projects and events in memory with the store's error
// semantics.
type fakeStore struct {
	ProjectStore // nil: a method not overridden here panics

	mu       sync.Mutex
	projects map[string]project.Project
	events   map[string][]shared.Event
	// onUpdate, when set, runs after each successful Update.
	onUpdate func(project.Project)
}

func newFakeStore(ps ...project.Project) *fakeStore {
	s := &fakeStore{projects: make(map[string]project.Project), events: make(map[string][]shared.Event)}
	for _, p := range ps {
		s.projects[p.ID] = p.Clone()
	}
	return s
}

func (s *fakeStore) Create(p project.Project) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[p.ID]; ok {
		return fmt.Errorf("%w: %q", store.ErrExists, p.ID)
	}
	s.projects[p.ID] = p.Clone()
	return nil
}

func (s *fakeStore) Get(id string) (project.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[id]
	if !ok {
		return project.Project{}, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	return p.Clone(), nil
}

func (s *fakeStore) List() ([]project.Project, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]project.Project, 0, len(s.projects))
	for _, id := range slices.Sorted(maps.Keys(s.projects)) {
		out = append(out, s.projects[id].Clone())
	}
	return out, nil
}

func (s *fakeStore) Update(id string, fn func(project.Project) (project.Project, error)) (project.Project, error) {
	s.mu.Lock()
	p, ok := s.projects[id]
	if !ok {
		s.mu.Unlock()
		return project.Project{}, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	next, err := fn(p.Clone())
	if err != nil {
		s.mu.Unlock()
		return project.Project{}, err
	}
	s.projects[id] = next.Clone()
	hook := s.onUpdate
	s.mu.Unlock()
	if hook != nil {
		hook(next.Clone())
	}
	return next, nil
}

func (s *fakeStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[id]; !ok {
		return fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	delete(s.projects, id)
	delete(s.events, id)
	return nil
}

func (s *fakeStore) AppendEvents(id string, evs []shared.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[id]; !ok {
		return fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	s.events[id] = append(s.events[id], evs...)
	return nil
}

func (s *fakeStore) Events(id string, limit int) ([]shared.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[id]; !ok {
		return nil, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	evs := s.events[id]
	if limit > 0 && len(evs) > limit {
		evs = evs[len(evs)-limit:]
	}
	return slices.Clone(evs), nil
}

func (s *fakeStore) Audit(id string, q store.Query) (store.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[id]; !ok {
		return store.Page{}, fmt.Errorf("%w: %q", store.ErrNotFound, id)
	}
	p := store.Page{Records: []store.Record{}, Last: uint64(len(s.events[id]))}
	for i, e := range s.events[id] {
		seq := uint64(i + 1)
		if seq <= q.After || (q.Tail > 0 && len(s.events[id])-i > q.Tail) || e.Time.Before(q.Since) || (q.Keep != nil && !q.Keep(e)) {
			continue
		}
		if q.Limit > 0 && len(p.Records) == q.Limit {
			break
		}
		p.Records = append(p.Records, store.Record{Seq: seq, Event: e})
	}
	return p, nil
}

func (s *fakeStore) project(id string) (project.Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[id]
	return p.Clone(), ok
}

func (s *fakeStore) eventCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.events[id])
}

// fakeRuntime keeps container states in memory and records calls.
type fakeRuntime struct {
	ContainerRuntime
	// engineRoot is what EngineRoot answers; empty: the engine does not
	// answer.
	engineRoot string

	mu       sync.Mutex
	states   map[string]runtime.State
	calls    []string // "start <id>", "stop <id>", "remove <id>"
	policies map[string]shared.Policy
	startErr error
	watchers []func(projectID, role, action string)
	watching chan struct{} // closed once Watch has been called
	// socketDir, when set, holds the projects' control sockets.
	socketDir string
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{
		states:   make(map[string]runtime.State),
		policies: make(map[string]shared.Policy),
		watching: make(chan struct{}),
	}
}

func runningState() runtime.State {
	return runtime.State{
		Sidecar: runtime.ContainerState{ID: "s", Status: "running"},
		Agent:   runtime.ContainerState{ID: "a", Status: "running"},
		Running: true,
	}
}

func stoppedState() runtime.State {
	return runtime.State{
		Sidecar: runtime.ContainerState{ID: "s", Status: "exited"},
		Agent:   runtime.ContainerState{ID: "a", Status: "exited"},
	}
}

func (r *fakeRuntime) record(call string) {
	r.calls = append(r.calls, call)
}

func (r *fakeRuntime) Start(ctx context.Context, p project.Project) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("start " + p.ID)
	r.policies[p.ID] = p.Policy()
	if r.startErr != nil {
		return r.startErr
	}
	r.states[p.ID] = runningState()
	return nil
}

func (r *fakeRuntime) Stop(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("stop " + id)
	if _, ok := r.states[id]; ok {
		r.states[id] = stoppedState()
	}
	return nil
}

func (r *fakeRuntime) Remove(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record("remove " + id)
	delete(r.states, id)
	delete(r.policies, id)
	return nil
}

func (r *fakeRuntime) State(ctx context.Context, id string) (runtime.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.states[id]
	if !ok {
		return runtime.State{
			Sidecar: runtime.ContainerState{Status: runtime.StatusMissing},
			Agent:   runtime.ContainerState{Status: runtime.StatusMissing},
		}, nil
	}
	return st, nil
}

func (r *fakeRuntime) List(ctx context.Context) (map[string]runtime.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.states), nil
}

func (r *fakeRuntime) Watch(ctx context.Context, fn func(projectID, role, action string)) error {
	r.mu.Lock()
	first := len(r.watchers) == 0
	r.watchers = append(r.watchers, fn)
	r.mu.Unlock()
	if first {
		close(r.watching)
	}
	<-ctx.Done()
	return nil
}

// emit delivers a container event to the daemon's watcher.
func (r *fakeRuntime) emit(id, role, action string) {
	r.mu.Lock()
	fns := slices.Clone(r.watchers)
	r.mu.Unlock()
	for _, fn := range fns {
		fn(id, role, action)
	}
}

func (r *fakeRuntime) SocketPath(id string) string {
	if r.socketDir != "" {
		return filepath.Join(r.socketDir, id+".sock")
	}
	return "/run/test/" + id + "/control.sock"
}

func (r *fakeRuntime) WritePolicy(id string, p shared.Policy) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policies[id] = p
	return nil
}

func (r *fakeRuntime) setState(id string, st runtime.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states[id] = st
}

func (r *fakeRuntime) callLog() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *fakeRuntime) count(call string) int {
	n := 0
	for _, c := range r.callLog() {
		if c == call {
			n++
		}
	}
	return n
}

func (r *fakeRuntime) policy(id string) shared.Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.policies[id]
}

// fakeSidecar answers for every socket; a socket in down is unreachable.
type fakeSidecar struct {
	SidecarControl

	mu      sync.Mutex
	down    map[string]bool
	applied map[string][]shared.Policy
	// beforeApply, when set, runs at each push that reaches the sidecar.
	beforeApply func(socket string, p shared.Policy)
	// feeds carry events to followers; replay is sent at each (re)connect.
	feeds  map[string]chan shared.Event
	replay map[string][]shared.Event
	recent map[string][]shared.Event
}

func newFakeSidecar() *fakeSidecar {
	return &fakeSidecar{
		down:    make(map[string]bool),
		applied: make(map[string][]shared.Policy),
		feeds:   make(map[string]chan shared.Event),
		replay:  make(map[string][]shared.Event),
		recent:  make(map[string][]shared.Event),
	}
}

func (s *fakeSidecar) unreachable(socket string) error {
	return fmt.Errorf("sidecar control socket %s not reachable: %w", socket, control.ErrUnreachable)
}

func (s *fakeSidecar) setDown(socket string, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down[socket] = down
}

func (s *fakeSidecar) PutPolicy(ctx context.Context, socket string, p shared.Policy) (shared.ApplyResult, error) {
	s.mu.Lock()
	down, hook := s.down[socket], s.beforeApply
	s.mu.Unlock()
	if down {
		return shared.ApplyResult{}, s.unreachable(socket)
	}
	if hook != nil {
		hook(socket, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied[socket] = append(s.applied[socket], p)
	return shared.ApplyResult{Mode: p.Mode, Domains: p.Domains, DurationMs: 1.25}, nil
}

func (s *fakeSidecar) Status(ctx context.Context, socket string) (shared.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down[socket] {
		return shared.Status{}, s.unreachable(socket)
	}
	var last shared.Policy
	if ps := s.applied[socket]; len(ps) > 0 {
		last = ps[len(ps)-1]
	}
	return shared.Status{Ready: true, Mode: last.Mode, Domains: last.Domains}, nil
}

func (s *fakeSidecar) Events(ctx context.Context, socket string, limit int) ([]shared.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down[socket] {
		return nil, s.unreachable(socket)
	}
	return slices.Clone(s.recent[socket]), nil
}

func (s *fakeSidecar) feed(socket string) chan shared.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.feeds[socket]
	if !ok {
		ch = make(chan shared.Event, 64)
		s.feeds[socket] = ch
	}
	return ch
}

func (s *fakeSidecar) Follow(ctx context.Context, socket string, fn func(shared.Event)) error {
	s.mu.Lock()
	down, replay := s.down[socket], slices.Clone(s.replay[socket])
	s.mu.Unlock()
	if down {
		return s.unreachable(socket)
	}
	for _, e := range replay {
		fn(e)
	}
	ch := s.feed(socket)
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-ch:
			if !ok {
				return fmt.Errorf("following events on %s: %w", socket, control.ErrStreamEnded)
			}
			fn(e)
		}
	}
}

func (s *fakeSidecar) appliedTo(socket string) []shared.Policy {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.applied[socket])
}

func (f *fakeRuntime) EngineRoot(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.engineRoot == "" {
		return "", errors.New("the engine does not answer")
	}
	return f.engineRoot, nil
}
