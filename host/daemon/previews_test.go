package daemon

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/shared"
)

// Listening answers for every socket that is not down.
func (s *fakeSidecar) Listening(ctx context.Context, socket string) ([]shared.ListeningPort, error) {
	s.mu.Lock()
	down := s.down[socket]
	s.mu.Unlock()
	if down {
		return nil, s.unreachable(socket)
	}
	return []shared.ListeningPort{{Port: 5173, Addresses: []string{"127.0.0.1"}, LoopbackOnly: true}}, nil
}

func runningAt(ip string) runtime.State {
	st := runningState()
	st.Sidecar.IP, st.Agent.IP = ip, ip
	return st
}

func TestPreview(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.Ports = []int{5173}
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()

	got, err := env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, Preview{
		ID: p.ID, Name: "web", AgentType: "claude-code", Ports: []int{5173}, Running: true,
		Addr: netip.MustParseAddr("172.17.0.5"), Socket: env.rt.SocketPath(p.ID),
		Mode: shared.ModeRestricted, Allowed: []string{"github.com", "npmjs.org"},
	}, got)

	for _, ref := range []string{"web", "ffffffffffff", "../etc", ""} {
		_, err := env.d.Preview(ctx, ref)
		require.ErrorIs(t, err, ErrNotFound, "%q: previews are found by id only", ref)
	}
}

func TestPreviewFollowsEditsAtOnce(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()
	ports := func() []int {
		pv, err := env.d.Preview(ctx, p.ID)
		require.NoError(t, err)
		return pv.Ports
	}
	require.Empty(t, ports())
	_, _, err := env.d.Update(ctx, p.ID, project.Patch{AddPorts: []int{5173, 3000}})
	require.NoError(t, err)
	require.Equal(t, []int{3000, 5173}, ports(), "an API edit is seen by the next request")

	env.d.ensureWardenWatch(p)
	env.d.setWardenPorts(p.ID, []int{8080}, nil)
	require.Equal(t, []int{3000, 5173, 8080}, ports(), ".warden.json ports are merged in at once")
	env.d.setWardenPorts(p.ID, nil, nil)
	require.Equal(t, []int{3000, 5173}, ports())

	_, err = env.d.Stop(ctx, p.ID)
	require.NoError(t, err)
	pv, err := env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, pv.Stopped)
	require.False(t, pv.Running, "the stop's runtime call invalidated the container state")

	require.NoError(t, env.d.Delete(ctx, p.ID))
	_, err = env.d.Preview(ctx, p.ID)
	require.ErrorIs(t, err, ErrNotFound)
}

// The preview's policy (mode, allowed names, the switch) follows every
// edit at once: deny entries are left out, grants are in.
func TestPreviewPolicyFollowsEdits(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()
	preview := func() Preview {
		pv, err := env.d.Preview(ctx, p.ID)
		require.NoError(t, err)
		cached, ok := env.d.PreviewCached(p.ID)
		require.True(t, ok)
		require.Equal(t, pv, cached)
		return pv
	}
	require.Equal(t, []string{"github.com", "npmjs.org"}, preview().Allowed)
	_, _, err := env.d.Update(ctx, p.ID, project.Patch{Domains: &[]string{"github.com", "!gist.github.com", "pypi.org"}})
	require.NoError(t, err)
	require.Equal(t, []string{"github.com", "pypi.org"}, preview().Allowed)
	_, _, err = env.d.Update(ctx, p.ID, project.Patch{Mode: ptr(shared.ModeNone), PreviewCSPOff: ptr(true)})
	require.NoError(t, err)
	pv := preview()
	require.Equal(t, shared.ModeNone, pv.Mode)
	require.True(t, pv.CSPOff)
	_, _, err = env.d.Update(ctx, p.ID, project.Patch{PreviewCSPOff: ptr(false)})
	require.NoError(t, err)
	require.False(t, preview().CSPOff)
}

func TestPreviewCachesContainerStateUntilAnEvent(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	now := time.Now()
	env.d.now = func() time.Time { return now }
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()
	running := func() bool {
		pv, err := env.d.Preview(ctx, p.ID)
		require.NoError(t, err)
		return pv.Running
	}
	require.True(t, running())

	env.rt.setState(p.ID, stoppedState())
	require.True(t, running(), "served from memory: no engine call per request")
	env.d.onContainerEvent(p.ID, runtime.RoleSidecar, "die")
	require.False(t, running(), "a container event makes the next request ask the engine")

	env.rt.setState(p.ID, runningAt("172.17.0.6"))
	require.False(t, running())
	now = now.Add(previewStateTTL)
	pv, err := env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	require.True(t, pv.Running, "a missed event is caught within the TTL")
	require.Equal(t, "172.17.0.6", pv.Addr.String())
}

func TestPreviewCachedAnswersOnlyFromMemory(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.Ports = []int{5173}
	env := newTestEnv(t, p)
	now := time.Now()
	env.d.now = func() time.Time { return now }
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()

	_, ok := env.d.PreviewCached(p.ID)
	require.False(t, ok, "nothing read yet")
	want, err := env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	got, ok := env.d.PreviewCached(p.ID)
	require.True(t, ok)
	require.Equal(t, want, got)

	_, _, err = env.d.Update(ctx, p.ID, project.Patch{AddPorts: []int{3000}})
	require.NoError(t, err)
	_, ok = env.d.PreviewCached(p.ID)
	require.False(t, ok, "an edit makes what is held stale")
	_, err = env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	_, ok = env.d.PreviewCached(p.ID)
	require.True(t, ok)

	env.d.onContainerEvent(p.ID, runtime.RoleSidecar, "die")
	_, ok = env.d.PreviewCached(p.ID)
	require.False(t, ok, "so does a container event")
	_, err = env.d.Preview(ctx, p.ID)
	require.NoError(t, err)
	now = now.Add(previewStateTTL)
	_, ok = env.d.PreviewCached(p.ID)
	require.False(t, ok, "and the state's age")
}

func TestPorts(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.Ports = []int{3000}
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	ctx := context.Background()

	got, err := env.d.Ports(ctx, "web")
	require.NoError(t, err)
	require.Equal(t, []int{3000}, got.Declared)
	require.True(t, got.Running)
	require.Equal(t, []shared.ListeningPort{{Port: 5173, Addresses: []string{"127.0.0.1"}, LoopbackOnly: true}}, got.Listening)

	env.sc.setDown(env.rt.SocketPath(p.ID), true)
	got, err = env.d.Ports(ctx, p.ID)
	require.NoError(t, err)
	require.Empty(t, got.Listening)
	require.Contains(t, got.ListeningError, "not reachable")

	env.rt.setState(p.ID, stoppedState())
	env.d.onContainerEvent(p.ID, runtime.RoleSidecar, "die")
	got, err = env.d.Ports(ctx, p.ID)
	require.NoError(t, err)
	require.False(t, got.Running)
	require.Empty(t, got.ListeningError, "a stopped project is not asked")
}
