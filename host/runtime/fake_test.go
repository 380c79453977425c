package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"
	"github.com/docker/docker/errdefs"
	"github.com/docker/docker/pkg/stdcopy"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
	sidecarevents "github.com/warden-sh/warden/sidecar/events"
)

// fakeDocker is an engine in memory. It embeds dockerAPI unset, so a call
// the fake does not implement panics and shows in the test at once.
type fakeDocker struct {
	dockerAPI
	t *testing.T

	mu         sync.Mutex
	containers map[string]*fakeContainer // by name
	images     map[string]image.InspectResponse
	networks   map[string]network.Inspect
	calls      []string
	nextID     int
	clock      time.Time
	// ready says whether a started sidecar serves a control socket that
	// reports ready; nil serves none.
	ready *bool
	// exitOnStart makes a started sidecar exit at once with this code.
	exitOnStart int
	// removeErr, when set, is what ContainerRemove returns.
	removeErr error
	// mounts stands in for the kernel's id-mapped mounts.
	mounts *fakeMounter
	// rootDir is the engine's state folder Info reports; empty means
	// /var/lib/docker.
	rootDir string
}

func (f *fakeDocker) Info(context.Context) (system.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rootDir == "" {
		return system.Info{DockerRootDir: "/var/lib/docker"}, nil
	}
	return system.Info{DockerRootDir: f.rootDir}, nil
}

type fakeContainer struct {
	id, name  string
	config    container.Config
	host      container.HostConfig
	running   bool
	startedAt time.Time
	exitCode  int
	// unserve stops the control server of a sidecar that serves one.
	unserve func()
}

// halt ends the container's process, and with it its control server.
func (c *fakeContainer) halt(code int) {
	c.running, c.exitCode = false, code
	if c.unserve != nil {
		c.unserve()
		c.unserve = nil
	}
}

func newFakeDocker(t *testing.T) *fakeDocker {
	ready := true
	f := &fakeDocker{
		t:          t,
		containers: make(map[string]*fakeContainer),
		images: map[string]image.InspectResponse{
			"warden-sidecar:latest":    imageWith("sha256:sidecar", []string{"/usr/local/bin/warden-sidecar"}, nil),
			"warden-agent-test:latest": imageWith("sha256:agent", nil, []string{"sleep", "infinity"}),
			"plain:latest":             imageWith("sha256:plain", nil, []string{"/bin/bash"}),
		},
		networks: map[string]network.Inspect{
			// As Docker 20.10 shows the default bridge: a subnet, no gateway.
			"bridge": {Name: "bridge", IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "172.17.0.0/16"}}}},
			"own":    {Name: "own", IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: "172.18.0.0/16", Gateway: "172.18.0.1"}}}},
		},
		clock:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		ready:  &ready,
		mounts: &fakeMounter{mounted: map[string]fakeMount{}, last: map[string]fakeMount{}},
	}
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.containers {
			c.halt(0)
		}
	})
	return f
}

func imageWith(id string, entrypoint, cmd []string) image.InspectResponse {
	cfg := &dockerspec.DockerOCIImageConfig{}
	cfg.Entrypoint, cfg.Cmd = entrypoint, cmd
	return image.InspectResponse{ID: id, Config: cfg}
}

// newFakeRuntime is a runtime over f with its socket folder in a temp dir.
func newFakeRuntime(t *testing.T, f *fakeDocker, adjust ...func(*Config)) *Runtime {
	t.Helper()
	cfg := DefaultConfig()
	cfg.SocketRoot = shortTempDir(t)
	cfg.HomeRoot = shortTempDir(t)
	cfg.MountRoot = shortTempDir(t)
	cfg.ReadyTimeout = 2 * time.Second
	for _, a := range adjust {
		a(&cfg)
	}
	r, err := newRuntime(cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)), f)
	require.NoError(t, err)
	r.mounter = f.mounts
	return r
}

// fakeMounter records the views it is asked for; the kernel's are proven in
// TestPrivilegedIDMappedMount and the Docker tests.
type fakeMounter struct {
	mu      sync.Mutex
	mounted map[string]fakeMount // by mount point, what is mounted now
	last    map[string]fakeMount // by mount point, what was mounted last
	calls   []string
}

type fakeMount struct {
	src string
	ids idMap
}

func (m *fakeMounter) Mount(src, dst string, ids idMap) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mounted[dst] = fakeMount{src, ids}
	m.last[dst] = fakeMount{src, ids}
	m.calls = append(m.calls, "mount "+dst)
	return nil
}

func (m *fakeMounter) Unmount(dst string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.mounted, dst)
	m.calls = append(m.calls, "unmount "+dst)
	return nil
}

// get returns what was mounted at dst last, mounted still or not.
func (m *fakeMounter) get(dst string) (fakeMount, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.last[dst]
	return v, ok
}

func (m *fakeMounter) isMounted(dst string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.mounted[dst]
	return ok
}

func (f *fakeDocker) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls returns what was asked of the engine, in order, inspections left
// out.
func (f *fakeDocker) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeDocker) find(ref string) *fakeContainer {
	if c, ok := f.containers[ref]; ok {
		return c
	}
	for _, c := range f.containers {
		if c.id == ref {
			return c
		}
	}
	return nil
}

func notFound(what string) error { return errdefs.NotFound(errors.New("No such " + what)) }

func (f *fakeDocker) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[ref]
	if !ok {
		return img, notFound("image: " + ref)
	}
	return img, nil
}

func (f *fakeDocker) NetworkInspect(_ context.Context, name string, _ network.InspectOptions) (network.Inspect, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	nw, ok := f.networks[name]
	if !ok {
		return nw, notFound("network: " + name)
	}
	return nw, nil
}

func (f *fakeDocker) ContainerCreate(_ context.Context, cfg *container.Config, host *container.HostConfig,
	_ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.containers[name]; ok {
		return container.CreateResponse{}, errdefs.Conflict(errors.New("name in use: " + name))
	}
	f.nextID++
	c := &fakeContainer{id: fmt.Sprintf("%064x", f.nextID), name: name, config: *cfg, host: *host}
	f.containers[name] = c
	f.record("create %s", name)
	return container.CreateResponse{ID: c.id}, nil
}

func (f *fakeDocker) ContainerInspect(_ context.Context, ref string) (container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(ref)
	if c == nil {
		return container.InspectResponse{}, notFound("container: " + ref)
	}
	return c.inspect(), nil
}

func (c *fakeContainer) inspect() container.InspectResponse {
	status := container.StateExited
	switch {
	case c.running:
		status = container.StateRunning
	case c.startedAt.IsZero():
		status = container.StateCreated
	}
	cfg, host := c.config, c.host
	nets := map[string]*network.EndpointSettings{}
	if !host.NetworkMode.IsContainer() && c.running {
		gw := "172.17.0.1"
		if host.NetworkMode == "own" {
			gw = "172.18.0.1"
		}
		nets[string(host.NetworkMode)] = &network.EndpointSettings{Gateway: gw, IPAddress: strings.TrimSuffix(gw, "1") + "2"}
	}
	started := ""
	if !c.startedAt.IsZero() {
		started = c.startedAt.Format(time.RFC3339Nano)
	}
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{
			ID:         c.id,
			Name:       "/" + c.name,
			State:      &container.State{Status: status, Running: c.running, StartedAt: started, ExitCode: c.exitCode},
			HostConfig: &host,
		},
		Config:          &cfg,
		NetworkSettings: &container.NetworkSettings{Networks: nets},
	}
}

func (f *fakeDocker) ContainerStart(_ context.Context, ref string, _ container.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(ref)
	if c == nil {
		return notFound("container: " + ref)
	}
	f.record("start %s", c.name)
	f.startLocked(c)
	return nil
}

func (f *fakeDocker) startLocked(c *fakeContainer) {
	c.halt(0)
	f.clock = f.clock.Add(time.Second)
	c.running, c.startedAt, c.exitCode = true, f.clock, 0
	if c.config.Labels[LabelRole] != RoleSidecar {
		return
	}
	if f.exitOnStart != 0 {
		c.halt(f.exitOnStart)
		return
	}
	if f.ready != nil {
		c.unserve = f.serveControl(c.host.Mounts[0].Source, *f.ready)
	}
}

// serveControl runs a real control server, over an engine that only
// reports, on the sidecar's socket folder, until the returned func is
// called.
func (f *fakeDocker) serveControl(dir string, ready bool) func() {
	ln, err := control.Listen(filepath.Join(dir, controlSocketName))
	require.NoError(f.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	srv := control.NewServer(readyEngine{ready}, sidecarevents.New(8), slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ctx, ln); _ = ln.Close(); close(done) }()
	return func() { cancel(); <-done }
}

type readyEngine struct{ ready bool }

func (e readyEngine) Status() shared.Status {
	if e.ready {
		return shared.Status{Ready: true, Mode: shared.ModeRestricted}
	}
	return shared.Status{Problems: []string{"still installing rules"}}
}

func (e readyEngine) Apply(context.Context, shared.ValidPolicy) (shared.ApplyResult, error) {
	return shared.ApplyResult{}, errors.New("not in this fake")
}

func (f *fakeDocker) ContainerRestart(_ context.Context, ref string, _ container.StopOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(ref)
	if c == nil {
		return notFound("container: " + ref)
	}
	f.record("restart %s", c.name)
	f.startLocked(c)
	return nil
}

func (f *fakeDocker) ContainerStop(_ context.Context, ref string, _ container.StopOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.find(ref)
	if c == nil {
		return notFound("container: " + ref)
	}
	f.record("stop %s", c.name)
	if c.running {
		c.halt(exitStopped)
	}
	return nil
}

func (f *fakeDocker) ContainerRemove(_ context.Context, ref string, opts container.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removeErr != nil {
		return f.removeErr
	}
	c := f.find(ref)
	if c == nil {
		return notFound("container: " + ref)
	}
	if c.running && !opts.Force {
		return errdefs.Conflict(errors.New("container is running"))
	}
	f.record("remove %s", c.name)
	c.halt(c.exitCode)
	delete(f.containers, c.name)
	return nil
}

func (f *fakeDocker) ContainerList(_ context.Context, opts container.ListOptions) ([]container.Summary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []container.Summary
	for _, c := range f.containers {
		if _, ok := c.config.Labels[LabelProject]; ok || !opts.Filters.Contains("label") {
			out = append(out, container.Summary{ID: c.id, Names: []string{"/" + c.name}, Labels: c.config.Labels})
		}
	}
	return out, nil
}

func (f *fakeDocker) ContainerLogs(context.Context, string, container.LogsOptions) (io.ReadCloser, error) {
	var buf bytes.Buffer
	_, _ = stdcopy.NewStdWriter(&buf, stdcopy.Stderr).Write([]byte("warden-sidecar: bad --upstream \"x\"\n"))
	return io.NopCloser(&buf), nil
}

// setStartedAt moves a container's start time, as an engine restart would.
func (f *fakeDocker) setStartedAt(name string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[name].startedAt = at
	if at.After(f.clock) {
		f.clock = at
	}
}

func (f *fakeDocker) container(name string) (fakeContainer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[name]
	if !ok {
		return fakeContainer{}, false
	}
	return *c, true
}
