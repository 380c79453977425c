package daemon

import (
	"context"
	"sync/atomic"

	"github.com/warden-sh/warden/host/project"
)

// genStore counts project writes: gen is bumped after each one returns, so
// a preview read before the write carries an older count and is not reused.
type genStore struct {
	ProjectStore
	gen *atomic.Uint64
}

func (s genStore) Create(p project.Project) error {
	defer s.gen.Add(1)
	return s.ProjectStore.Create(p)
}

func (s genStore) Update(id string, fn func(project.Project) (project.Project, error)) (project.Project, error) {
	defer s.gen.Add(1)
	return s.ProjectStore.Update(id, fn)
}

func (s genStore) Delete(id string) error {
	defer s.gen.Add(1)
	return s.ProjectStore.Delete(id)
}

// genRuntime counts the calls that change containers, as genStore does
// for writes; container events bump the same count.
type genRuntime struct {
	ContainerRuntime
	gen *atomic.Uint64
}

func (r genRuntime) Start(ctx context.Context, p project.Project) error {
	defer r.gen.Add(1)
	return r.ContainerRuntime.Start(ctx, p)
}

func (r genRuntime) Stop(ctx context.Context, id string) error {
	defer r.gen.Add(1)
	return r.ContainerRuntime.Stop(ctx, id)
}

func (r genRuntime) Remove(ctx context.Context, id string) error {
	defer r.gen.Add(1)
	return r.ContainerRuntime.Remove(ctx, id)
}
