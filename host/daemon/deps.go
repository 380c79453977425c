package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
)

// ProjectStore is what the daemon uses of host/store. Get, Update and
// Delete of an unknown id return an error matching store.ErrNotFound.
type ProjectStore interface {
	Create(p project.Project) error
	Get(id string) (project.Project, error)
	List() ([]project.Project, error)
	// Update runs fn on the stored project and writes its result in one
	// transaction; an error from fn aborts with nothing written.
	Update(id string, fn func(project.Project) (project.Project, error)) (project.Project, error)
	Delete(id string) error
	AppendEvents(id string, evs []shared.Event) error
	// Events returns up to limit of the newest events, oldest first.
	Events(id string, limit int) ([]shared.Event, error)
	// Audit returns the stored events a query selects, with their
	// sequence numbers, oldest first.
	Audit(id string, q store.Query) (store.Page, error)
}

// ContainerRuntime is what the daemon uses of host/runtime.
type ContainerRuntime interface {
	// Start is idempotent: it writes the policy file, makes sure the
	// sidecar runs and is ready, and that the agent runs in its namespace.
	Start(ctx context.Context, p project.Project) error
	Stop(ctx context.Context, id string) error
	// Remove deletes the containers and the project's socket folder; a
	// project with nothing left is not an error.
	Remove(ctx context.Context, id string) error
	State(ctx context.Context, id string) (runtime.State, error)
	// List returns the state of every project that has containers.
	List(ctx context.Context) (map[string]runtime.State, error)
	// Watch calls fn for each container event until ctx ends or the
	// engine's stream breaks.
	Watch(ctx context.Context, fn func(projectID, role, action string)) error
	SocketPath(id string) string
	WritePolicy(id string, p shared.Policy) error
	// EngineRoot is the Docker engine's state folder (its data-root).
	EngineRoot(ctx context.Context) (string, error)
	// Exec runs cmd in the project's agent container (none: the agent
	// type's command) and returns its exit code.
	Exec(ctx context.Context, id string, cmd []string, opts runtime.ExecOptions) (int, error)
}

// SidecarControl is what the daemon uses of a sidecar's control socket,
// addressed by the socket's host path (ContainerRuntime.SocketPath).
// Failures to connect match control.ErrUnreachable.
type SidecarControl interface {
	PutPolicy(ctx context.Context, socket string, p shared.Policy) (shared.ApplyResult, error)
	Status(ctx context.Context, socket string) (shared.Status, error)
	Events(ctx context.Context, socket string, limit int) ([]shared.Event, error)
	Follow(ctx context.Context, socket string, fn func(shared.Event)) error
	// Listening lists the TCP ports listening in the sidecar's namespace.
	Listening(ctx context.Context, socket string) ([]shared.ListeningPort, error)
}

// sinceFollower is a SidecarControl whose Follow can start at the newest
// event the daemon holds instead of replaying what the sidecar keeps
// (host/kube reads the sidecar's log through the API server from there).
type sinceFollower interface {
	FollowSince(ctx context.Context, socket string, since time.Time, fn func(shared.Event)) error
}

// wardenFileWatcher follows a workspace's .warden.json (project.WatchWardenFile).
type wardenFileWatcher func(ctx context.Context, workspace string, fn func(ports []int, err error)) error
