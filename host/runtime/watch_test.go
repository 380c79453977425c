package runtime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/stretchr/testify/require"
)

func message(action events.Action, attrs map[string]string) events.Message {
	return events.Message{Type: events.ContainerEventType, Action: action, Actor: events.Actor{ID: "c1", Attributes: attrs}}
}

func TestWatch(t *testing.T) {
	ours := map[string]string{LabelProject: testID, LabelRole: RoleSidecar, "name": sidecarC}
	fake := &eventsFake{
		msgs: []events.Message{
			message(events.ActionDie, ours),
			message("exec_start: sh -c true", ours),
			message(events.ActionStart, ours),
			message(events.ActionStart, map[string]string{LabelProject: "not-an-id"}),
			message(events.ActionDestroy, map[string]string{LabelProject: testID, LabelRole: RoleAgent}),
		},
		err: errors.New("connection reset"),
	}
	r, err := newRuntime(Config{SocketRoot: "/tmp/x"}, nil, fake)
	require.NoError(t, err)

	var got []string
	err = r.Watch(context.Background(), func(id, role, action string) {
		require.Equal(t, testID, id)
		got = append(got, role+" "+action)
	})
	require.ErrorContains(t, err, "connection reset")
	require.Equal(t, []string{"sidecar die", "sidecar start", "agent destroy"}, got)
	require.ElementsMatch(t, []string{LabelProject, LabelInstance + "=" + instanceOf("/tmp/x")}, fake.opts.Filters.Get("label"),
		"only this daemon's containers")
	require.Equal(t, []string{"container"}, fake.opts.Filters.Get("type"))
}

func TestWatchEndsWithContext(t *testing.T) {
	r, err := newRuntime(Config{SocketRoot: "/tmp/x"}, nil, &eventsFake{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, r.Watch(ctx, func(string, string, string) {}))
}
