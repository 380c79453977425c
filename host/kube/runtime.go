package kube

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/warden-sh/warden/host/keylock"
	"github.com/warden-sh/warden/host/wait"
)

// socketPrefix marks the project keys SocketPath returns: there is no
// socket on this backend, the key only names the project to PutPolicy and
// Status.
const socketPrefix = "kubernetes:"

// ErrNoEngine is returned where the daemon asks for Docker's own state.
var ErrNoEngine = errors.New("the Kubernetes backend has no Docker engine")

// Runtime runs projects as pods. It is safe for concurrent use; calls for
// the same project are serialised.
type Runtime struct {
	cfg Config
	log *slog.Logger
	cs  kubernetes.Interface
	// rest is the client configuration the streaming calls (exec,
	// port-forward) dial with; nil under NewWithClient.
	rest *rest.Config
	// podServer is the API server's URL as pods reach it, apiPort its port
	// (closed to agents on the host gateway).
	podServer string
	apiPort   int

	locks keylock.Locks // serialises the calls for one project
	links links         // port-forward connections, one per pod (DialPort)

	// What the sidecars report through their logs (follow.go, feed.go)
	// and the policy ConfigMaps as last seen (policycache.go).
	logs     sidecarLogs
	feedsMu  sync.Mutex
	feeds    map[string]*feed
	policies policyCache
	now      func() time.Time
}

// New loads the kubeconfig and returns a runtime over that cluster. Nothing
// is sent until the first call.
func New(cfg Config, log *slog.Logger) (*Runtime, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	rc.UserAgent = "warden"
	// client-go's default (5 a second, bursts of 10) would queue a
	// project's start behind its own readiness polls; kubectl's own
	// defaults are these.
	rc.QPS, rc.Burst = 50, 300
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("building the API client: %w", err)
	}
	if cfg.PodAPIServer == "" {
		cfg.PodAPIServer = rc.Host
	}
	r, err := NewWithClient(cfg, cs, log)
	if err != nil {
		return nil, err
	}
	r.rest = rc
	return r, nil
}

// NewWithClient is New over a given clientset (tests).
func NewWithClient(cfg Config, cs kubernetes.Interface, log *slog.Logger) (*Runtime, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(cfg.PodAPIServer)
	if err != nil || u.Scheme != "https" {
		return nil, fmt.Errorf("bad API server URL for pods %q; expect https://host:port", cfg.PodAPIServer)
	}
	port := 443
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	r := &Runtime{cfg: cfg, log: log.With("component", "kube"), cs: cs,
		podServer: cfg.PodAPIServer, apiPort: port,
		feeds: map[string]*feed{}, now: time.Now}
	r.logs = apiLogs{r}
	return r, nil
}

// Close stops the ConfigMap cache and ends the port-forward connections;
// the client's other connections close with the process.
func (r *Runtime) Close() error {
	r.policies.stop()
	r.links.closeAll()
	return nil
}

// sleep pauses for d or until ctx ends.
func (r *Runtime) sleep(ctx context.Context, d time.Duration) error { return wait.Sleep(ctx, d) }

// Config returns the effective configuration.
func (r *Runtime) Config() Config { return r.cfg }

// SocketPath names the project to PutPolicy and Status; no socket exists.
func (r *Runtime) SocketPath(id string) string { return socketPrefix + id }

// EngineRoot has no meaning here: there is no Docker engine.
func (r *Runtime) EngineRoot(context.Context) (string, error) { return "", ErrNoEngine }

func (r *Runtime) idOf(socket string) (string, error) {
	id, ok := strings.CutPrefix(socket, socketPrefix)
	if !ok {
		return "", fmt.Errorf("bad project key %q; expect %s<id>", socket, socketPrefix)
	}
	return id, checkID(id)
}

// ServerOf returns the API server URL a kubeconfig names.
func ServerOf(kubeconfig string) (string, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return "", fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	return rc.Host, nil
}
