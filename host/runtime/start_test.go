package runtime

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func testProject(t *testing.T) project.Project {
	t.Helper()
	return project.Project{
		ID:        testID,
		Name:      "app",
		Workspace: ownedDir(t),
		AgentType: "claude-code",
		Mode:      shared.ModeRestricted,
		Domains:   []string{"github.com", "npmjs.org"},
		Image:     "warden-agent-test:latest",
		Env:       map[string]string{"A": "1"},
	}
}

var (
	sidecarC = "warden-" + testID + "-sidecar"
	agentC   = "warden-" + testID + "-agent"
)

func TestStartRunsSidecarThenAgent(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)

	require.NoError(t, r.Start(context.Background(), p))
	require.Equal(t, []string{
		"create " + sidecarC, "start " + sidecarC,
		"create " + agentC, "start " + agentC,
	}, f.Calls())

	sidecar, _ := f.container(sidecarC)
	agent, _ := f.container(agentC)
	require.Equal(t, "container:"+sidecar.id, string(agent.host.NetworkMode))
	require.Equal(t, r.SocketDir(testID), sidecar.host.Mounts[0].Source)
	require.Contains(t, sidecar.config.Cmd, "172.17.0.1", "the default bridge's gateway, derived from its subnet")

	body, err := os.ReadFile(r.PolicyPath(testID))
	require.NoError(t, err)
	require.JSONEq(t, `{"mode":"restricted","domains":["github.com","npmjs.org"],"hostAccess":"all"}`, string(body))

	st, err := r.State(context.Background(), testID)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Equal(t, "172.17.0.2", st.Sidecar.IP)
	require.Equal(t, "172.17.0.2", st.Agent.IP)
}

func TestStartTwiceChangesNothing(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	require.NoError(t, r.Start(context.Background(), p))
	before := len(f.Calls())
	require.NoError(t, r.Start(context.Background(), p))
	require.Len(t, f.Calls(), before, "calls: %v", f.Calls()[before:])
}

func TestStartRestartsAgentLeftInOldNamespace(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	require.NoError(t, r.Start(context.Background(), p))

	// The engine restarted the sidecar after the agent started.
	agent, _ := f.container(agentC)
	f.setStartedAt(sidecarC, agent.startedAt.Add(time.Minute))
	st, err := r.State(context.Background(), testID)
	require.NoError(t, err)
	require.False(t, st.Running)
	require.Contains(t, st.Error, "older network namespace")

	before := len(f.Calls())
	require.NoError(t, r.Start(context.Background(), p))
	require.Equal(t, []string{"restart " + agentC}, f.Calls()[before:])
	st, err = r.State(context.Background(), testID)
	require.NoError(t, err)
	require.True(t, st.Running)
}

func TestStartAfterStopStartsBoth(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f)
	p := testProject(t)
	ctx := context.Background()
	require.NoError(t, r.Start(ctx, p))
	require.NoError(t, r.Stop(ctx, testID))
	before := len(f.Calls())
	require.NoError(t, r.Start(ctx, p))
	require.Equal(t, []string{"start " + sidecarC, "start " + agentC}, f.Calls()[before:])
}

func TestStartRecreatesWhatChanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*project.Project, *fakeDocker)
		want   []string
	}{
		{"env", func(p *project.Project, _ *fakeDocker) { p.Env = map[string]string{"A": "2"} },
			[]string{"remove " + agentC, "create " + agentC, "start " + agentC}},
		{"agent image rebuilt", func(_ *project.Project, f *fakeDocker) {
			f.images["warden-agent-test:latest"] = imageWith("sha256:agent2", nil, []string{"sleep", "infinity"})
		}, []string{"remove " + agentC, "create " + agentC, "start " + agentC}},
		{"sidecar image rebuilt", func(_ *project.Project, f *fakeDocker) {
			f.images["warden-sidecar:latest"] = imageWith("sha256:sidecar2", []string{"/usr/local/bin/warden-sidecar"}, nil)
		}, []string{"remove " + sidecarC, "create " + sidecarC, "start " + sidecarC, "remove " + agentC, "create " + agentC, "start " + agentC}},
		{"policy only", func(p *project.Project, _ *fakeDocker) { p.Mode = shared.ModeNone }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t)
			r := newFakeRuntime(t, f)
			p := testProject(t)
			require.NoError(t, r.Start(context.Background(), p))
			before := len(f.Calls())
			f.mu.Lock()
			tc.change(&p, f)
			f.mu.Unlock()
			require.NoError(t, r.Start(context.Background(), p))
			require.Equal(t, tc.want, nilIfEmpty(f.Calls()[before:]))
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestStartUsesTheGatewayTheSidecarGot(t *testing.T) {
	f := newFakeDocker(t)
	// An inspect that would lead astray: the sidecar really gets 172.17.0.1.
	f.networks["bridge"] = network.Inspect{Name: "bridge", IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.9.0.0/16"}}}}
	r := newFakeRuntime(t, f)
	require.NoError(t, r.Start(context.Background(), testProject(t)))
	require.Equal(t, []string{
		"create " + sidecarC, "start " + sidecarC,
		"remove " + sidecarC, "create " + sidecarC, "start " + sidecarC,
		"create " + agentC, "start " + agentC,
	}, f.Calls())
	sidecar, _ := f.container(sidecarC)
	require.Contains(t, sidecar.config.Cmd, "172.17.0.1")
	require.NotContains(t, sidecar.config.Cmd, "10.9.0.1")
}

func TestStartOnOwnNetworkPassesBothGateways(t *testing.T) {
	f := newFakeDocker(t)
	r := newFakeRuntime(t, f, func(c *Config) { c.Network = "own" })
	require.NoError(t, r.Start(context.Background(), testProject(t)))
	sidecar, _ := f.container(sidecarC)
	cmd := []string(sidecar.config.Cmd)
	i := slices.Index(cmd, "--host-gateway")
	require.Equal(t, []string{"--host-gateway", "172.17.0.1", "--host-gateway", "172.18.0.1"}, cmd[i:])
}

func TestStartRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(*testing.T, *Runtime, *fakeDocker, *project.Project)
		want    string
	}{
		{"bad id", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) { p.ID = "../../etc" }, `bad project id "../../etc"`},
		{"bad policy", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) {
			p.Domains = []string{"https://x.com/"}
		}, "https://x.com/"},
		{"missing agent image", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) { p.Image = "nope:1" }, `agent image "nope:1" is not in the local image store`},
		{"missing sidecar image", func(_ *testing.T, _ *Runtime, f *fakeDocker, _ *project.Project) {
			delete(f.images, "warden-sidecar:latest")
		}, `sidecar image "warden-sidecar:latest" is not in the local image store`},
		{"agent type not loaded", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) {
			p.AgentType = "aider"
		}, `agent type "aider", which is not loaded`},
		{"relative workspace", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) { p.Workspace = "app" }, `workspace "app" is not an absolute path`},
		{"missing workspace", func(_ *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) { p.Workspace += "/gone" }, "expect an existing folder"},
		{"workspace is a file", func(t *testing.T, _ *Runtime, _ *fakeDocker, p *project.Project) {
			p.Workspace = filepath.Join(p.Workspace, "f")
			require.NoError(t, os.WriteFile(p.Workspace, nil, 0o600))
		}, "is not a folder"},
		{"workspace holds the sockets", func(_ *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			p.Workspace = filepath.Dir(r.cfg.SocketRoot)
		}, "holds Warden's control sockets"},
		{"workspace inside the sockets", func(t *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			p.Workspace = filepath.Join(r.cfg.SocketRoot, "x")
			require.NoError(t, os.MkdirAll(p.Workspace, 0o700))
		}, "holds Warden's control sockets"},
		{"workspace holds the config folders", func(_ *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			p.Workspace = r.cfg.HomeRoot
		}, "holds the agents' config folders"},
		{"workspace inside another project's config folders", func(t *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			p.Workspace = filepath.Join(r.HomeDir("0123456789ab"), "home")
			require.NoError(t, os.MkdirAll(p.Workspace, 0o700))
		}, "holds the agents' config folders"},
		{"workspace holds the Docker socket", func(t *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			r.dockerSockets = []string{filepath.Join(p.Workspace, "run", "docker.sock")}
		}, "holds the Docker socket"},
		{"workspace reaches the Docker socket through a link", func(t *testing.T, r *Runtime, _ *fakeDocker, p *project.Project) {
			real := t.TempDir()
			require.NoError(t, os.Symlink(real, filepath.Join(p.Workspace, "link")))
			p.Workspace = filepath.Join(p.Workspace, "link")
			r.dockerSockets = []string{filepath.Join(real, "docker.sock")}
		}, "holds the Docker socket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t)
			r := newFakeRuntime(t, f)
			p := testProject(t)
			tc.prepare(t, r, f, &p)
			err := r.Start(context.Background(), p)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, f.Calls(), "nothing may be created or started")
		})
	}
}

func TestStartSidecarNotReady(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(*fakeDocker)
		want    []string
	}{
		{"no socket", func(f *fakeDocker) { f.ready = nil }, []string{"not ready after 300ms", "not reachable"}},
		{"not ready", func(f *fakeDocker) { ready := false; f.ready = &ready }, []string{"not ready after 300ms", "still installing rules"}},
		{"exits", func(f *fakeDocker) { f.exitOnStart = 1 }, []string{"did not stay up", "exit code 1", `bad --upstream "x"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDocker(t)
			tc.prepare(f)
			r := newFakeRuntime(t, f, func(c *Config) { c.ReadyTimeout = 300 * time.Millisecond })
			err := r.Start(context.Background(), testProject(t))
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			for _, c := range f.Calls() {
				require.NotEqual(t, "start "+agentC, c, "the agent must not start without a ready sidecar")
			}
		})
	}
}

func TestWritePolicy(t *testing.T) {
	r := newFakeRuntime(t, newFakeDocker(t))
	require.NoError(t, r.WritePolicy(testID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"GitHub.com.", "npmjs.org"}}))
	path := r.PolicyPath(testID)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dir, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dir.Mode().Perm())

	var got shared.Policy
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &got))
	require.Equal(t, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"github.com", "npmjs.org"}, HostAccess: shared.HostAll}, got, "stored in canonical form")

	// A refused policy leaves the file as it was.
	require.Error(t, r.WritePolicy(testID, shared.Policy{Mode: "open"}))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, body, after)

	require.NoError(t, r.WritePolicy(testID, shared.Policy{Mode: shared.ModeNone}))
	body, err = os.ReadFile(path)
	require.NoError(t, err)
	require.JSONEq(t, `{"mode":"none","domains":[],"hostAccess":"all"}`, string(body))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	require.ErrorContains(t, r.WritePolicy("A1B2C3D4E5F6", shared.Policy{Mode: shared.ModeNone}), "bad project id")
}
