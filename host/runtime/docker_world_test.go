package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// Images `make images` builds (tagged WARDEN_IMAGE_TAG, "latest" when
// unset); the Docker tests need them.
var (
	testSidecarImage = "warden-sidecar:" + imageTag()
	testAgentImage   = "warden-agent-test:" + imageTag()
)

func imageTag() string {
	if tag := os.Getenv("WARDEN_IMAGE_TAG"); tag != "" {
		return tag
	}
	return "latest"
}

const (
	// nowhereUpstream is a documentation address: configured, never asked,
	// because these tests resolve nothing.
	nowhereUpstream = "192.0.2.53:53"
)

// dockerWorld is a runtime on the real engine plus a raw client for what
// the runtime does not offer (kill, exec in the sidecar).
type dockerWorld struct {
	rt  *Runtime
	cli *client.Client
}

// newDockerWorld fails (never skips) when the engine or the images are
// missing: these tests are the proof that the runtime works on Docker.
func newDockerWorld(t *testing.T, adjust ...func(*Config)) dockerWorld {
	t.Helper()
	cli, err := newDockerClient()
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = cli.Ping(ctx)
	require.NoError(t, err, "the Docker engine must be reachable for TestDocker tests")
	for _, img := range []string{testSidecarImage, testAgentImage} {
		_, err := cli.ImageInspect(ctx, img)
		require.NoError(t, err, "image %s is missing; run `make images`", img)
	}
	cfg := DefaultConfig()
	cfg.SidecarImage = testSidecarImage
	cfg.SocketRoot = shortTempDir(t)
	cfg.HomeRoot = shortTempDir(t)
	cfg.MountRoot = shortTempDir(t)
	cfg.Upstreams = []string{nowhereUpstream}
	cfg.ReadyTimeout = 20 * time.Second
	for _, f := range adjust {
		f(&cfg)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rt, err := New(cfg, log)
	require.NoError(t, err)
	t.Cleanup(func() { rt.Close() })
	return dockerWorld{rt: rt, cli: cli}
}

// newProject returns a restricted project with a fresh id whose containers
// are removed when the test ends, whatever happened.
func (w dockerWorld) newProject(t *testing.T) project.Project {
	t.Helper()
	// A user's own workspace, as Warden requires.
	ws := ownedDir(t)
	p := project.Project{
		ID:        project.NewID(),
		Name:      t.Name(),
		Workspace: ws,
		AgentType: "claude-code",
		Mode:      shared.ModeRestricted,
		Domains:   []string{"github.com"},
		Image:     testAgentImage,
		Env:       map[string]string{"WARDEN_TEST": "1"},
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		found, err := w.cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+p.ID))})
		if err != nil {
			t.Errorf("listing containers of %s for cleanup: %v", p.ID, err)
			return
		}
		for _, c := range found {
			if err := w.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
				t.Errorf("removing container %s: %v", c.ID, err)
			}
		}
	})
	return p
}

func (w dockerWorld) start(t *testing.T, p project.Project) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	begin := time.Now()
	require.NoError(t, w.rt.Start(ctx, p))
	return time.Since(begin)
}

// run execs cmd in the agent and returns its exit code and output.
func (w dockerWorld) run(t *testing.T, p project.Project, user string, cmd ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code, err := w.rt.Exec(ctx, p.ID, cmd, ExecOptions{User: user, Stdout: &stdout, Stderr: &stderr})
	require.NoError(t, err, "exec %v", cmd)
	return code, stdout.String(), stderr.String()
}

// sidecarRun execs cmd in the sidecar through the raw client.
func (w dockerWorld) sidecarRun(t *testing.T, p project.Project, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := w.cli.ContainerExecCreate(ctx, sidecarName(p.ID), container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	require.NoError(t, err)
	resp, err := w.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	require.NoError(t, err)
	defer resp.Close()
	var out bytes.Buffer
	_, err = stdcopyAll(&out, resp.Reader)
	require.NoError(t, err)
	return strings.TrimSpace(out.String())
}

func (w dockerWorld) netns(t *testing.T, p project.Project) (sidecar, agent string) {
	t.Helper()
	sidecar = w.sidecarRun(t, p, "readlink", "/proc/1/ns/net")
	code, out, _ := w.run(t, p, "", "readlink", "/proc/1/ns/net")
	require.Zero(t, code)
	return sidecar, strings.TrimSpace(out)
}

func (w dockerWorld) inspect(t *testing.T, name string) container.InspectResponse {
	t.Helper()
	c, err := w.cli.ContainerInspect(context.Background(), name)
	require.NoError(t, err)
	return c
}

// hostsEntry returns the address /etc/hosts gives name.
func hostsEntry(hosts, name string) string {
	for _, line := range strings.Split(hosts, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && slices.Contains(f[1:], name) {
			return f[0]
		}
	}
	return ""
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
