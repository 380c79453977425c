package kube

import (
	"context"
	"errors"

	"github.com/warden-sh/warden/shared"
)

// ErrNotOnKubernetes is returned for the sidecar calls this backend does not
// carry yet (events and listening ports).
var ErrNotOnKubernetes = errors.New("not available on the Kubernetes backend yet")

// Events is not carried through the API server yet.
func (r *Runtime) Events(context.Context, string, int) ([]shared.Event, error) {
	return nil, ErrNotOnKubernetes
}

// Follow has nothing to follow yet; it waits for ctx, so the daemon does
// not retry in a loop.
func (r *Runtime) Follow(ctx context.Context, _ string, _ func(shared.Event)) error {
	<-ctx.Done()
	return ctx.Err()
}

// Listening is not carried through the API server yet.
func (r *Runtime) Listening(context.Context, string) ([]shared.ListeningPort, error) {
	return nil, ErrNotOnKubernetes
}
