package runtime

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
)

const testID = "a1b2c3d4e5f6"

// requireNoHostEscape checks what no Warden container may have: privilege,
// the Docker socket, host namespaces.
func requireNoHostEscape(t *testing.T, s containerSpec) {
	t.Helper()
	h := s.Host
	require.False(t, h.Privileged, "privileged")
	require.Empty(t, h.Binds, "binds (mounts are spelled out in Mounts)")
	require.Empty(t, h.Devices)
	require.Empty(t, h.VolumesFrom)
	require.False(t, h.PidMode.IsHost(), "host pid namespace")
	require.False(t, h.IpcMode.IsHost(), "host ipc namespace")
	require.False(t, h.NetworkMode.IsHost(), "host network")
	require.False(t, h.UsernsMode.IsHost())
	for _, m := range h.Mounts {
		require.NotContains(t, m.Source, "docker.sock")
		require.NotContains(t, m.Target, "docker.sock")
	}
}

func TestSidecarSpec(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Network = "own"
	cfg.Upstreams = []string{"192.0.2.53:53", "[2001:db8::53]:53"}
	cfg.ClosedHostPorts = []int{8090}
	gws := []netip.Addr{netip.MustParseAddr("172.17.0.1"), netip.MustParseAddr("172.18.0.1")}
	s := sidecarSpec("test", cfg, testID, "/data/sockets/"+testID, "sha256:sidecar", gws)

	requireNoHostEscape(t, s)
	require.Equal(t, "warden-"+testID+"-sidecar", s.Name)
	require.Equal(t, "warden-sidecar:latest", s.Config.Image)
	require.Equal(t, []string{
		"--control-socket", "/run/warden/control.sock",
		"--policy-file", "/run/warden/policy.json",
		"--upstream", "192.0.2.53:53", "--upstream", "[2001:db8::53]:53",
		"--host-gateway", "172.17.0.1", "--host-gateway", "172.18.0.1",
		"--host-closed-port", "8090",
	}, []string(s.Config.Cmd))
	require.Equal(t, testID, s.Config.Labels[LabelProject])
	require.Equal(t, RoleSidecar, s.Config.Labels[LabelRole])
	require.Len(t, s.Config.Labels[labelSpec], 16)
	require.Equal(t, []string{"NET_ADMIN"}, []string(s.Host.CapAdd))
	require.Empty(t, s.Host.CapDrop)
	require.Equal(t, container.NetworkMode("own"), s.Host.NetworkMode)
	require.Equal(t, []string{"host.docker.internal:host-gateway"}, s.Host.ExtraHosts)
	require.Equal(t, container.RestartPolicyUnlessStopped, s.Host.RestartPolicy.Name)
	require.Equal(t, []mount.Mount{{Type: mount.TypeBind, Source: "/data/sockets/" + testID, Target: "/run/warden"}}, s.Host.Mounts)
}

// prepared is what prepareAgent would hand agentSpec for p with the
// built-in claude-code type and the given image, with one config folder;
// the workspace resolves to itself.
func prepared(p project.Project, img image.InspectResponse, ref string) preparedAgent {
	t, _ := agent.NewRegistry().Lookup("claude-code")
	return preparedAgent{
		p: p, agentType: t, ref: ref, image: img, workspace: filepath.Clean(p.Workspace),
		mounts: []mount.Mount{
			{Type: mount.TypeBind, Source: "/data/mounts/" + testID + "/workspace", Target: "/workspace"},
			{Type: mount.TypeBind, Source: "/data/mounts/" + testID + "/home/home/agent/.claude", Target: "/home/agent/.claude"},
		},
		ids: idMap{ContainerUID: 1000, ContainerGID: 1000, HostUID: 1001, HostGID: 1001},
	}
}

func TestAgentSpec(t *testing.T) {
	p := project.Project{
		ID:        testID,
		Workspace: "/home/me/app/",
		AgentType: "claude-code",
		Env:       map[string]string{"B": "2", "A": "1", "DISABLE_AUTOUPDATER": "0"},
	}
	for _, tc := range []struct {
		name    string
		image   image.InspectResponse
		wantCmd []string
	}{
		{"image with a command keeps it", imageWith("sha256:a", nil, []string{"node", "server.js"}), nil},
		{"image with an entrypoint keeps it", imageWith("sha256:a", []string{"/entry"}, nil), nil},
		{"no command: kept alive", imageWith("sha256:a", nil, nil), keepAlive},
		{"a bare shell: kept alive", imageWith("sha256:a", nil, []string{"/bin/bash"}), keepAlive},
		{"no config at all: kept alive", image.InspectResponse{ID: "sha256:a"}, keepAlive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := agentSpec("test", prepared(p, tc.image, "my/agent:1"), "0123sidecar")
			requireNoHostEscape(t, s)
			require.Equal(t, "warden-"+testID+"-agent", s.Name)
			require.Equal(t, "my/agent:1", s.Config.Image)
			require.Equal(t, tc.wantCmd, []string(s.Config.Cmd))
			require.Equal(t, []string{"A=1", "B=2", "CLAUDE_CONFIG_DIR=/home/agent/.claude", "DISABLE_AUTOUPDATER=0"}, s.Config.Env,
				"the agent type's env, the project's winning")
			require.Equal(t, "/workspace", s.Config.WorkingDir)
			require.Equal(t, testID, s.Config.Labels[LabelProject])
			require.Equal(t, RoleAgent, s.Config.Labels[LabelRole])
			require.Equal(t, `["claude"]`, s.Config.Labels[LabelAgentCommand])
			require.Equal(t, []string{"CMD", "claude", "--version"}, s.Config.Healthcheck.Test)
			require.Equal(t, container.NetworkMode("container:0123sidecar"), s.Host.NetworkMode)
			require.ElementsMatch(t, []string{"NET_ADMIN", "NET_RAW", "MKNOD", "SETFCAP"}, []string(s.Host.CapDrop))
			require.Empty(t, s.Host.CapAdd)
			require.Empty(t, s.Host.ExtraHosts, "the agent shares the sidecar's hosts file")
			require.Empty(t, s.Host.RestartPolicy.Name, "only Start runs the agent")
			require.NotNil(t, s.Host.Init)
			require.True(t, *s.Host.Init)
			require.Equal(t, []mount.Mount{
				{Type: mount.TypeBind, Source: "/data/mounts/" + testID + "/workspace", Target: "/workspace"},
				{Type: mount.TypeBind, Source: "/data/mounts/" + testID + "/home/home/agent/.claude", Target: "/home/agent/.claude"},
			}, s.Host.Mounts, "the id-mapped views, never the host folders themselves")
			require.Equal(t, "/home/me/app", s.Config.Labels[LabelWorkspace])
			require.Equal(t, "1000:1000=1001:1001", s.Config.Labels[labelIDMap])
		})
	}
}

func TestSpecHash(t *testing.T) {
	p := project.Project{ID: testID, Workspace: "/w", Env: map[string]string{"A": "1"}}
	img := imageWith("sha256:a", nil, nil)
	base := agentSpec("test", prepared(p, img, "x"), "sid")

	require.Equal(t, base.Config.Labels[labelSpec], agentSpec("test", prepared(p, img, "x"), "sid").Config.Labels[labelSpec], "same input, same hash")
	otherType := prepared(p, img, "x")
	otherType.agentType.Command = []string{"claude", "--continue"}
	noFolders := prepared(p, img, "x")
	noFolders.mounts = noFolders.mounts[:1]
	otherOwner := prepared(p, img, "x")
	otherOwner.ids.HostUID = 1002
	changed := map[string]containerSpec{
		"env":           agentSpec("test", prepared(project.Project{ID: testID, Workspace: "/w", Env: map[string]string{"A": "2"}}, img, "x"), "sid"),
		"workspace":     agentSpec("test", prepared(project.Project{ID: testID, Workspace: "/v", Env: p.Env}, img, "x"), "sid"),
		"image name":    agentSpec("test", prepared(p, img, "y"), "sid"),
		"image id":      agentSpec("test", prepared(p, imageWith("sha256:b", nil, nil), "x"), "sid"),
		"sidecar":       agentSpec("test", prepared(p, img, "x"), "other"),
		"agent command": agentSpec("test", otherType, "sid"),
		"folders":       agentSpec("test", noFolders, "sid"),
		"owner":         agentSpec("test", otherOwner, "sid"),
	}
	for name, s := range changed {
		require.NotEqual(t, base.Config.Labels[labelSpec], s.Config.Labels[labelSpec], name)
	}
}

func TestNeedsKeepAlive(t *testing.T) {
	for _, tc := range []struct {
		entrypoint, cmd []string
		want            bool
	}{
		{nil, nil, true},
		{nil, []string{"bash"}, true},
		{nil, []string{"/bin/sh"}, true},
		{nil, []string{"/bin/bash", "-l"}, false},
		{nil, []string{"sleep", "infinity"}, false},
		{[]string{"/init"}, nil, false},
		{[]string{"/init"}, []string{"bash"}, false},
	} {
		t.Run(strings.Join(append(tc.entrypoint, tc.cmd...), " "), func(t *testing.T) {
			require.Equal(t, tc.want, needsKeepAlive(imageWith("id", tc.entrypoint, tc.cmd)))
		})
	}
}

func TestAgentSpecLimits(t *testing.T) {
	img := imageWith("sha256:a", nil, nil)
	p := project.Project{ID: testID, Workspace: "/w"}
	s := agentSpec("test", prepared(p, img, "x"), "sid")
	require.Equal(t, int64(1024), *s.Host.PidsLimit, "the defaults when the project sets none")
	require.Equal(t, int64(4096)<<20, s.Host.Memory)
	require.Equal(t, s.Host.Memory, s.Host.MemorySwap, "no swap beyond the memory limit")
	require.Equal(t, int64(2e9), s.Host.NanoCPUs)

	p.Limits = project.Limits{PIDs: 100, CPUs: 0.5}
	own := agentSpec("test", prepared(p, img, "x"), "sid")
	require.Equal(t, int64(100), *own.Host.PidsLimit)
	require.Equal(t, int64(4096)<<20, own.Host.Memory, "a field left zero keeps its default")
	require.Equal(t, int64(5e8), own.Host.NanoCPUs)
	require.NotEqual(t, s.Config.Labels[labelSpec], own.Config.Labels[labelSpec], "a change of limits recreates the container")
}
