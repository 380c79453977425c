package kube

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/warden-sh/warden/host/agent"
)

// Config is what the Kubernetes runtime needs.
type Config struct {
	// Kubeconfig is the file with the cluster and the daemon's credentials.
	Kubeconfig string
	// Namespace holds every project's objects.
	Namespace string
	// SidecarImage is the sidecar's image, present on the node (never pulled).
	SidecarImage string
	// PodAPIServer is the API server's URL as pods reach it; empty takes the
	// kubeconfig's server.
	PodAPIServer string
	// Node, when set, pins every pod to that node (the workspace is a
	// hostPath on it).
	Node string
	// Upstreams are the resolvers the sidecars forward allowed questions to
	// (ip:port).
	Upstreams []string
	// HostGateway is the daemon's host as pods reach it: host.docker.internal
	// in the pod, and the sidecar's host gateway.
	HostGateway netip.Addr
	// ClosedHostPorts are host ports the agent never reaches; the API
	// server's port is added.
	ClosedHostPorts []int
	// ReadyTimeout bounds how long Start waits for the pod to run.
	ReadyTimeout time.Duration
	// Agents are the agent types (default image and environment).
	Agents *agent.Registry
	// HomeRoot is the folder on the node (where the daemon runs) holding
	// one folder per project with its agent's config folders; empty keeps
	// none.
	HomeRoot string
	// Instance tells apart the objects of daemons sharing a namespace: a
	// daemon lists, adopts, changes and deletes only objects labelled with
	// its own.
	Instance string
}

func (c Config) withDefaults() Config {
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = 90 * time.Second
	}
	if c.Instance == "" {
		c.Instance = "default"
	}
	if c.Agents == nil {
		c.Agents = agent.NewRegistry()
	}
	return c
}

func (c Config) validate() error {
	if c.Namespace == "" {
		return errors.New("no namespace; pass --namespace NAME")
	}
	if err := CheckInstance(c.Instance); err != nil {
		return err
	}
	if c.SidecarImage == "" {
		return errors.New("no sidecar image")
	}
	if len(c.Upstreams) == 0 {
		return errors.New("no upstream resolver for the sidecars; pass --upstream ip:port")
	}
	for _, u := range c.Upstreams {
		if _, err := netip.ParseAddrPort(u); err != nil {
			return fmt.Errorf("bad upstream %q; expect ip:port such as 192.0.2.53:53", u)
		}
	}
	if !c.HostGateway.IsValid() {
		return errors.New("no host gateway: the daemon's host as pods reach it")
	}
	if c.HomeRoot != "" && !filepath.IsAbs(c.HomeRoot) {
		return fmt.Errorf("config folder root %q is not an absolute path; expect a folder such as /var/lib/warden/homes", c.HomeRoot)
	}
	if c.PodAPIServer != "" {
		u, err := url.Parse(c.PodAPIServer)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("bad API server URL for pods %q; expect https://host:port", c.PodAPIServer)
		}
	}
	return nil
}

// CheckInstance accepts an instance name: a DNS label (1 to 63 lower-case
// letters, digits and inner dashes), which is also a label value.
func CheckInstance(name string) error {
	if len(validation.IsDNS1123Label(name)) > 0 {
		return fmt.Errorf("bad instance name %q; expect 1 to 63 lower-case letters, digits and dashes, starting and ending with a letter or digit, such as dev-1", name)
	}
	return nil
}
