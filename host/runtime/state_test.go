package runtime

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/require"
)

func inspected(id string, status container.ContainerState, started time.Time, exit int, networkMode string) *container.InspectResponse {
	return &container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID: id,
			State: &container.State{Status: status, Running: status == container.StateRunning,
				StartedAt: started.Format(time.RFC3339Nano), ExitCode: exit},
			HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(networkMode)},
		},
	}
}

func TestStateOf(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	up := func(at time.Time) *container.InspectResponse {
		return inspected("sid", container.StateRunning, at, 0, "bridge")
	}
	agentUp := func(at time.Time) *container.InspectResponse {
		return inspected("aid", container.StateRunning, at, 0, "container:sid")
	}
	for _, tc := range []struct {
		name           string
		sidecar, agent *container.InspectResponse
		running        bool
		err            string
	}{
		{"nothing", nil, nil, false, ""},
		{"both up", up(t0), agentUp(t0.Add(time.Second)), true, ""},
		{"sidecar restarted after the agent", up(t0.Add(time.Minute)), agentUp(t0), false, "older network namespace"},
		{"agent joined another sidecar", up(t0), inspected("aid", container.StateRunning, t0.Add(time.Second), 0, "container:old"), false, "older network namespace"},
		{"both stopped", inspected("sid", container.StateExited, t0, 0, "bridge"), inspected("aid", container.StateExited, t0, exitStopped, "container:sid"), false, ""},
		{"sidecar crashed", inspected("sid", container.StateExited, t0, 1, "bridge"), agentUp(t0), false, "sidecar exited, exit code 1"},
		{"agent crashed", up(t0), inspected("aid", container.StateExited, t0, 2, "container:sid"), false, "agent exited, exit code 2"},
		{"agent alone", nil, agentUp(t0), false, "without its sidecar"},
		{"sidecar alone", up(t0), nil, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := stateOf(tc.sidecar, tc.agent, "bridge")
			require.Equal(t, tc.running, s.Running)
			if tc.err == "" {
				require.Empty(t, s.Error)
			} else {
				require.Contains(t, s.Error, tc.err)
			}
			if tc.sidecar == nil {
				require.Equal(t, StatusMissing, s.Sidecar.Status)
			}
			if tc.agent == nil {
				require.Equal(t, StatusMissing, s.Agent.Status)
			}
		})
	}
}

func TestList(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	ctx := context.Background()
	p := testProject(t)
	require.NoError(t, r.Start(ctx, p))
	other := testProject(t)
	other.ID = "0123456789ab"
	require.NoError(t, r.Start(ctx, other))
	require.NoError(t, r.Stop(ctx, other.ID))
	// A container with a look-alike label is not Warden's.
	f.mu.Lock()
	f.containers["stray"] = &fakeContainer{id: "stray", name: "stray", config: container.Config{Labels: map[string]string{LabelProject: "../x", LabelRole: RoleAgent}}}
	f.mu.Unlock()

	all, err := r.List(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.True(t, all[testID].Running)
	require.False(t, all[other.ID].Running)
	require.Equal(t, "exited", all[other.ID].Sidecar.Status)
	require.Equal(t, "exited", all[other.ID].Agent.Status)
}

func TestStopAndRemove(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	ctx := context.Background()

	// Nothing there yet: neither is an error.
	require.NoError(t, r.Stop(ctx, testID))
	require.NoError(t, r.Remove(ctx, testID))

	require.NoError(t, r.Start(ctx, testProject(t)))
	before := len(f.Calls())
	require.NoError(t, r.Stop(ctx, testID))
	require.Equal(t, []string{"stop " + agentC, "stop " + sidecarC}, f.Calls()[before:], "the agent stops first")

	require.NoError(t, r.Remove(ctx, testID))
	_, err := os.Stat(r.SocketDir(testID))
	require.ErrorIs(t, err, os.ErrNotExist)
	st, err := r.State(ctx, testID)
	require.NoError(t, err)
	require.Equal(t, StatusMissing, st.Sidecar.Status)
	require.Equal(t, StatusMissing, st.Agent.Status)
}

func TestRemoveKeepsTheFolderWhileAContainerRemains(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	ctx := context.Background()
	require.NoError(t, r.Start(ctx, testProject(t)))
	f.mu.Lock()
	f.removeErr = errors.New("engine busy")
	f.mu.Unlock()
	require.ErrorContains(t, r.Remove(ctx, testID), "engine busy")
	_, err := os.Stat(r.PolicyPath(testID))
	require.NoError(t, err)
}
