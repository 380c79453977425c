package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/kube"
	"github.com/warden-sh/warden/host/plugins"
	"github.com/warden-sh/warden/host/store"
)

// openKube is Open for the Kubernetes backend: the runtime is host/kube, and
// it is also the sidecar control (policy through the API server).
func openKube(cfg Config, st *store.Store, agents *agent.Registry, log *slog.Logger) (*Daemon, error) {
	instance, err := kubeInstance(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	kcfg := kube.Config{
		Instance:        instance,
		HomeRoot:        cfg.HomeRoot(),
		Kubeconfig:      cfg.Kube.Kubeconfig,
		Namespace:       cfg.Kube.Namespace,
		SidecarImage:    cfg.SidecarImage,
		PodAPIServer:    cfg.Kube.PodAPIServer,
		Node:            cfg.Kube.Node,
		Upstreams:       cfg.Upstreams,
		ClosedHostPorts: cfg.listenPorts(),
		ReadyTimeout:    cfg.ReadyTimeout,
		Agents:          agents,
	}
	gw, err := hostGateway(cfg.Kube)
	if err == nil {
		kcfg.HostGateway = gw
	}
	var rt *kube.Runtime
	if err == nil {
		rt, err = kube.New(kcfg, log)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	pl, err := plugins.Start(plugins.Config{Dir: cfg.PluginsFolder()}, agents, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if _, err := rt.List(ctx); err != nil {
		log.Warn("the Kubernetes API server does not answer; projects cannot start until it does", "component", "daemon", "err", err)
	}
	cancel()
	d := New(cfg, st, rt, rt, log)
	d.agents, d.plugins = agents, pl
	d.onClose = func() error { return errors.Join(pl.Close(), rt.Close(), st.Close()) }
	return d, nil
}

// instanceFile, in the data folder, keeps the name this daemon's objects
// carry on the cluster when none is given.
const instanceFile = "kube-instance"

// kubeInstance is the name of this daemon's objects: the one given, or the
// one kept in the data folder, made (random) on first use. A name per data
// folder rather than one derived from its path: two developers' daemons
// sharing a namespace have the same path on their own machines.
func kubeInstance(cfg Config) (string, error) {
	if cfg.Kube.Instance != "" {
		return cfg.Kube.Instance, kube.CheckInstance(cfg.Kube.Instance)
	}
	path := filepath.Join(cfg.DataDir, instanceFile)
	b, err := os.ReadFile(path)
	if err == nil {
		name := strings.TrimSpace(string(b))
		if err := kube.CheckInstance(name); err != nil {
			return "", fmt.Errorf("%s: %w; delete the file to have a new name made, or pass --kube-instance", path, err)
		}
		return name, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading this daemon's instance name: %w", err)
	}
	var raw [6]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("making an instance name: %w", err)
	}
	name := hex.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return kubeInstance(cfg) // another start made it first
	}
	if err != nil {
		return "", fmt.Errorf("keeping this daemon's instance name: %w", err)
	}
	_, err = f.WriteString(name + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("keeping this daemon's instance name in %s: %w", path, err)
	}
	return name, nil
}

// hostGateway is the pods' way to the daemon's host: the one given, or the
// API server's address (PodAPIServer, else the kubeconfig's) if it is an IP
// address other than loopback.
func hostGateway(k KubeConfig) (netip.Addr, error) {
	if k.HostGateway != "" {
		a, err := netip.ParseAddr(k.HostGateway)
		if err != nil {
			return netip.Addr{}, fmt.Errorf("bad --kube-host-gateway %q; expect an IP address", k.HostGateway)
		}
		return a, nil
	}
	server := k.PodAPIServer
	if server == "" {
		s, err := kube.ServerOf(k.Kubeconfig)
		if err != nil {
			return netip.Addr{}, err
		}
		server = s
	}
	u, err := url.Parse(server)
	if err == nil {
		if a, perr := netip.ParseAddr(u.Hostname()); perr == nil && !a.IsLoopback() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("cannot tell the host's address for pods from the API server %q; pass --kube-host-gateway IP", server)
}

var (
	_ ContainerRuntime = (*kube.Runtime)(nil)
	_ SidecarControl   = (*kube.Runtime)(nil)
	_ sinceFollower    = (*kube.Runtime)(nil)
	_ PortDialer       = (*kube.Runtime)(nil)
)
