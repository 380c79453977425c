package kube

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-sh/warden/shared"
)

// Events reads the end of the sidecar's log (the last tailLines lines) and
// returns up to limit of its newest events, oldest first; limit <= 0 means
// all it finds. Unlike Follow it asks the API server, so that a read right
// after an event sees it.
func (r *Runtime) Events(ctx context.Context, socket string, limit int) ([]shared.Event, error) {
	id, err := r.idOf(socket)
	if err != nil {
		return nil, err
	}
	return r.recentEvents(ctx, id, limit)
}

// Follow follows the sidecar container's log through the API server until
// ctx ends, calling fn with each event in the order the sidecar recorded
// it, and keeps its latest status and listening ports for Status and
// Listening. It waits while the sidecar does not run, and reads on across
// its restarts (see FollowSince for where it starts).
func (r *Runtime) Follow(ctx context.Context, socket string, fn func(shared.Event)) error {
	return r.FollowSince(ctx, socket, time.Time{}, fn)
}

// FollowSince is Follow for a caller that holds the events up to since
// already (the daemon's store, after a restart). Within one runtime the
// log is read on from where it stopped, whatever since says; a runtime's
// first read of a project starts at since, or at the last tailLines lines
// when since is zero, and takes the container before the current one too.
// The caller drops what it holds (the daemon compares times).
func (r *Runtime) FollowSince(ctx context.Context, socket string, since time.Time, fn func(shared.Event)) error {
	id, err := r.idOf(socket)
	if err != nil {
		return err
	}
	return r.follow(ctx, id, since, fn)
}

// Listening returns the listening TCP ports the sidecar last reported
// (when they change, and with its heartbeat), from memory. Without a
// current report the error matches ErrNoReport.
func (r *Runtime) Listening(_ context.Context, socket string) ([]shared.ListeningPort, error) {
	id, err := r.idOf(socket)
	if err != nil {
		return nil, err
	}
	ports, err := r.feedOf(id).listening(r.now())
	if err != nil {
		return nil, fmt.Errorf("project %s: %w: %v", id, ErrNoReport, err)
	}
	return ports, nil
}
