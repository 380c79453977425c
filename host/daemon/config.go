package daemon

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/kube"
	"github.com/warden-sh/warden/host/proxy"
	"github.com/warden-sh/warden/host/store"
)

// Config is the daemon's configuration. Flags of `warden serve` map onto it;
// DefaultConfig gives every field its stated default.
type Config struct {
	// DataDir holds the store (warden.db), the API token (token), the API's
	// unix socket (warden.sock) and one control-socket folder per project
	// (sockets/<id>). Default
	// $XDG_DATA_HOME/warden, else ~/.local/share/warden.
	DataDir string `json:"dataDir"`
	// Listen is the API's address. Default 127.0.0.1:8090; an address other
	// machines can reach needs ReachableFromNetwork too.
	Listen string `json:"listen"`
	// ReachableFromNetwork must be set for a Listen address other machines
	// can reach (not loopback). Default false.
	ReachableFromNetwork bool `json:"reachableFromNetwork"`
	// SocketGroup may use the API's unix socket (DataDir/warden.sock, mode
	// 0660) when a group of that name exists. Default warden.
	SocketGroup string `json:"socketGroup"`
	// SidecarImage is the image every sidecar runs. Default
	// warden-sidecar:latest.
	SidecarImage string `json:"sidecarImage"`
	// Network is the Docker network sidecars join. Default bridge.
	Network string `json:"network"`
	// Upstreams are the DNS resolvers (ip:port) sidecars forward allowed
	// names to. Empty means each sidecar's own /etc/resolv.conf.
	Upstreams []string `json:"upstreams,omitempty"`
	// ReadyTimeout bounds how long a start waits for a sidecar to report
	// ready. Default 30s.
	ReadyTimeout time.Duration `json:"readyTimeout"`
	// ReconcileInterval is how often pending policy pushes of running
	// projects are retried. Default 1.5s.
	ReconcileInterval time.Duration `json:"reconcileInterval"`
	// PushTimeout bounds one policy push to a sidecar. Default 5s.
	PushTimeout time.Duration `json:"pushTimeout"`
	// PluginsDir is the folder agent-type plugins are loaded from at start
	// (executables named warden-agent-*, host/plugins). Default
	// DataDir/plugins; a folder that does not exist holds none.
	PluginsDir string `json:"pluginsDir,omitempty"`
	// AuditRecords bounds each project's audit log (refusals and first
	// contacts); the oldest records are dropped first, and counted.
	// Default (and 0) store.EventHistory (10000).
	AuditRecords int `json:"auditRecords"`
	// Proxy configures the preview proxy on the same listener. Default
	// proxy.DefaultConfig().
	Proxy proxy.Config `json:"proxy"`
	// Backend runs the projects: BackendDocker (default) or
	// BackendKubernetes.
	Backend string `json:"backend"`
	// Kube configures the Kubernetes backend; unused on Docker.
	Kube KubeConfig `json:"kube,omitzero"`
}

// Backends.
const (
	BackendDocker     = "docker"
	BackendKubernetes = "kubernetes"
)

// KubeConfig is the Kubernetes backend's part of the configuration.
type KubeConfig struct {
	// Kubeconfig is the file with the cluster and the daemon's credentials.
	Kubeconfig string `json:"kubeconfig"`
	// Namespace holds the projects' pods, ConfigMaps and roles.
	Namespace string `json:"namespace"`
	// PodAPIServer is the API server's URL as pods reach it. Default: the
	// kubeconfig's server.
	PodAPIServer string `json:"podAPIServer,omitempty"`
	// HostGateway is the daemon's host as pods reach it
	// (host.docker.internal). Default: the kubeconfig server's address
	// when it is an IP address other than loopback.
	HostGateway string `json:"hostGateway,omitempty"`
	// Node pins the pods to one node, where the workspaces are. Default:
	// the scheduler's choice.
	Node string `json:"node,omitempty"`
	// Instance labels this daemon's objects, so daemons sharing a namespace
	// never adopt or remove each other's. Default: a random name made once
	// and kept in the data folder (kube-instance).
	Instance string `json:"instance,omitempty"`
}

// DefaultConfig returns the configuration used when nothing is overridden.
func DefaultConfig() Config {
	return Config{
		DataDir:           DefaultDataDir(),
		Listen:            "127.0.0.1:8090",
		SocketGroup:       "warden",
		SidecarImage:      "warden-sidecar:latest",
		Network:           "bridge",
		ReadyTimeout:      30 * time.Second,
		ReconcileInterval: 1500 * time.Millisecond,
		PushTimeout:       5 * time.Second,
		AuditRecords:      store.EventHistory,
		Proxy:             proxy.DefaultConfig(),
		Backend:           BackendDocker,
	}
}

// DefaultDataDir is $XDG_DATA_HOME/warden, or ~/.local/share/warden when
// XDG_DATA_HOME is unset or not absolute (as the XDG specification says).
func DefaultDataDir() string { return wire.DefaultDataDir() }

// StorePath is the store's file.
func (c Config) StorePath() string { return filepath.Join(c.DataDir, "warden.db") }

// SocketRoot is the folder holding one control-socket folder per project.
func (c Config) SocketRoot() string { return filepath.Join(c.DataDir, "sockets") }

// HomeRoot is the folder holding each project's agent config folders
// (logins and settings).
func (c Config) HomeRoot() string { return filepath.Join(c.DataDir, "homes") }

// PluginsFolder is PluginsDir, or its default under DataDir.
func (c Config) PluginsFolder() string {
	if c.PluginsDir != "" {
		return c.PluginsDir
	}
	return filepath.Join(c.DataDir, "plugins")
}

// withDefaults fills zero durations, so a Config built by hand still works.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ReconcileInterval <= 0 {
		c.ReconcileInterval = d.ReconcileInterval
	}
	if c.PushTimeout <= 0 {
		c.PushTimeout = d.PushTimeout
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = d.ReadyTimeout
	}
	if c.AuditRecords <= 0 {
		c.AuditRecords = d.AuditRecords
	}
	return c
}

// Validate checks the fields a user may set.
func (c Config) Validate() error {
	if !filepath.IsAbs(c.DataDir) {
		return fmt.Errorf("data folder %q is not an absolute path; expect e.g. %s", c.DataDir, DefaultDataDir())
	}
	if strings.TrimSpace(c.Listen) == "" {
		return fmt.Errorf("listen address is empty; expect host:port such as 127.0.0.1:8090")
	}
	if err := c.Proxy.Validate(); err != nil {
		return err
	}
	if c.PluginsDir != "" && !filepath.IsAbs(c.PluginsDir) {
		return fmt.Errorf("plugins folder %q is not an absolute path; expect e.g. %s", c.PluginsDir, filepath.Join(DefaultDataDir(), "plugins"))
	}
	if c.AuditRecords < 0 {
		return fmt.Errorf("audit log bound %d is not a number of records; expect a positive number such as %d (0: that default)", c.AuditRecords, store.EventHistory)
	}
	if c.SidecarImage == "" {
		return fmt.Errorf("sidecar image is empty; expect an image name such as warden-sidecar:latest")
	}
	switch c.Backend {
	case "", BackendDocker:
	case BackendKubernetes:
		if !filepath.IsAbs(c.Kube.Kubeconfig) {
			return fmt.Errorf("kubeconfig %q is not an absolute path; the kubernetes backend needs --kubeconfig FILE", c.Kube.Kubeconfig)
		}
		if c.Kube.Namespace == "" {
			return fmt.Errorf("the kubernetes backend needs --namespace NAME")
		}
		if len(c.Upstreams) == 0 {
			return fmt.Errorf("the kubernetes backend needs --upstream ip:port: the resolver the sidecars forward allowed names to")
		}
		if c.Kube.Instance != "" {
			if err := kube.CheckInstance(c.Kube.Instance); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown backend %q; expect %s or %s", c.Backend, BackendDocker, BackendKubernetes)
	}
	return nil
}

// listenPorts is the API's port, closed to every agent; none when the port
// is chosen at listen time (":0").
func (c Config) listenPorts() []int {
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return nil
	}
	return []int{n}
}
