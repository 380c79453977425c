package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"

	"github.com/warden-sh/warden/host/keylock"
)

// Runtime starts, stops and inspects projects' containers. It is safe for
// concurrent use; calls for the same project are serialised.
type Runtime struct {
	cfg    Config
	log    *slog.Logger
	docker dockerAPI
	// dockerSockets are host paths of the engine's socket, which no
	// workspace may expose to an agent.
	dockerSockets []string
	// dockerRoot is the engine's state folder once asked (engineRoot).
	dockerRoot string

	mu    sync.Mutex
	locks keylock.Locks // serialises the calls for one project
	// gateways remembers, per Docker network, the gateway a started
	// sidecar actually got, which beats what the network inspect says.
	gateways map[string][]netip.Addr
	// instance labels this daemon's containers (see LabelInstance).
	instance string
	// mounter makes the id-mapped views of workspaces and config folders.
	mounter idMounter
	// imageUsers caches imageUser by image id.
	imageUsers map[string]containerIDs
}

// New connects to the Docker engine named by the environment (as the docker
// CLI does). Nothing is sent to the engine until the first call.
func New(cfg Config, log *slog.Logger) (*Runtime, error) {
	cli, err := newDockerClient()
	if err != nil {
		return nil, fmt.Errorf("connecting to Docker: %w", err)
	}
	r, err := newRuntime(cfg, log, cli)
	if err != nil {
		cli.Close()
		return nil, err
	}
	r.dockerSockets = append(r.dockerSockets, unixSocketPath(cli.DaemonHost())...)
	return r, nil
}

func newRuntime(cfg Config, log *slog.Logger, docker dockerAPI) (*Runtime, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runtime{
		cfg:           cfg,
		log:           log.With("component", "runtime"),
		docker:        docker,
		dockerSockets: []string{"/var/run/docker.sock", "/run/docker.sock"},
		gateways:      make(map[string][]netip.Addr),
		instance:      instanceOf(cfg.SocketRoot),
		mounter:       kernelMounter{},
		imageUsers:    make(map[string]containerIDs),
	}, nil
}

// Close releases the connection to the engine.
func (r *Runtime) Close() error { return r.docker.Close() }

// Ping checks that the engine answers.
func (r *Runtime) Ping(ctx context.Context) error {
	if _, err := r.docker.Ping(ctx); err != nil {
		return fmt.Errorf("reaching the Docker engine: %w", err)
	}
	return nil
}

// Config returns the effective configuration, defaults filled in.
func (r *Runtime) Config() Config { return r.cfg }

// SocketDir is the project's folder on the host: the control socket and the
// policy file. Only the sidecar sees it.
func (r *Runtime) SocketDir(projectID string) string {
	return filepath.Join(r.cfg.SocketRoot, projectID)
}

// SocketPath is the host path of the project's control socket, for
// control.NewClient.
func (r *Runtime) SocketPath(projectID string) string {
	return filepath.Join(r.SocketDir(projectID), controlSocketName)
}

// PolicyPath is the host path of the policy file the sidecar reads at every
// start.
func (r *Runtime) PolicyPath(projectID string) string {
	return filepath.Join(r.SocketDir(projectID), policyFileName)
}
