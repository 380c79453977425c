package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// lifecycle lists the container events Watch reports; exec, attach and the
// like say nothing about whether a project runs.
var lifecycle = map[events.Action]bool{
	events.ActionCreate:  true,
	events.ActionStart:   true,
	events.ActionRestart: true,
	events.ActionDie:     true,
	events.ActionKill:    true,
	events.ActionOOM:     true,
	events.ActionStop:    true,
	events.ActionPause:   true,
	events.ActionUnPause: true,
	events.ActionDestroy: true,
}

// Watch calls fn, on the calling goroutine, for every lifecycle event
// ("start", "die", "destroy", ...) of a Warden container, with the project
// id and role from its labels. A sidecar the engine restarted after a crash
// shows as "die" then "start"; its agent is then in the old namespace and
// Start moves it. Watch returns nil when ctx ends and an error when the
// event stream breaks (the engine went away); the caller re-lists with List
// and watches again.
func (r *Runtime) Watch(ctx context.Context, fn func(projectID, role, action string)) error {
	msgs, errs := r.docker.Events(ctx, events.ListOptions{
		Filters: filters.NewArgs(
			filters.Arg("type", string(events.ContainerEventType)),
			filters.Arg("label", LabelProject),
			r.ownFilter(),
		),
	})
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("watching Docker events: %w", err)
		case m := <-msgs:
			if !lifecycle[m.Action] {
				continue
			}
			id, role := m.Actor.Attributes[LabelProject], m.Actor.Attributes[LabelRole]
			if checkID(id) != nil {
				continue
			}
			fn(id, role, string(m.Action))
		}
	}
}
