package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/warden-sh/warden/host/api"
	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/cli"
	"github.com/warden-sh/warden/host/daemon"
)

// server is the daemon as `warden serve` runs it: its settings as flags,
// then the API, web UI and previews until the context ends.
type server struct{ cfg daemon.Config }

var _ cli.Server = (*server)(nil)

func newServer() *server { return &server{cfg: daemon.DefaultConfig()} }

func (s *server) Flags(f *pflag.FlagSet) {
	cfg := &s.cfg
	f.StringVar(&cfg.Listen, "listen", cli.EnvOr("WARDEN_ADDR", cfg.Listen), "address to listen on (loopback unless --reachable-from-network)")
	f.BoolVar(&cfg.ReachableFromNetwork, "reachable-from-network", false, "allow a --listen address other machines can reach (every call stays authenticated)")
	f.StringVar(&cfg.SocketGroup, "socket-group", cfg.SocketGroup, "group that may use the unix socket warden.sock in the data folder, when it exists")
	f.StringVar(&cfg.SidecarImage, "sidecar-image", cfg.SidecarImage, "image of the sidecars")
	f.StringVar(&cfg.Network, "network", cfg.Network, "Docker network the sidecars join")
	f.StringSliceVar(&cfg.Upstreams, "upstream", cfg.Upstreams, "DNS resolver ip:port the sidecars forward allowed names to (default: the container's own)")
	f.DurationVar(&cfg.ReadyTimeout, "ready-timeout", cfg.ReadyTimeout, "how long a start waits for the sidecar to be ready")
	f.StringVar(&cfg.Proxy.Route, "preview-route", cfg.Proxy.Route, "how previews reach dev servers: direct (the container's address, the sidecar's relay for servers on 127.0.0.1) or relay (always the relay)")
	f.BoolVar(&cfg.Proxy.Fast, "preview-fast", cfg.Proxy.Fast, "answer plain preview requests on the fast paths (the connection's goroutine, event loops); false leaves every request to net/http's server and reverse proxy")
	f.DurationVar(&cfg.Proxy.AnswerTimeout, "preview-answer-timeout", cfg.Proxy.AnswerTimeout, "how long a preview request waits for the dev server's answer to begin (a first compile can be slow); the browser gets 504 past it")
	f.StringVar(&cfg.PluginsDir, "plugins", "", "folder of agent-type plugins, executables named warden-agent-* (default: the data folder's plugins)")
	f.StringVar(&cfg.Backend, "backend", cfg.Backend, "what runs the projects: docker or kubernetes")
	f.StringVar(&cfg.Kube.Kubeconfig, "kubeconfig", "", "kubernetes backend: kubeconfig file of the cluster (absolute path)")
	f.StringVar(&cfg.Kube.Namespace, "namespace", "", "kubernetes backend: namespace of the projects' pods")
	f.StringVar(&cfg.Kube.PodAPIServer, "kube-pod-api", "", "kubernetes backend: API server URL as pods reach it (default: the kubeconfig's)")
	f.StringVar(&cfg.Kube.HostGateway, "kube-host-gateway", "", "kubernetes backend: this host's address as pods reach it (default: the API server's, when an IP)")
	f.StringVar(&cfg.Kube.Node, "kube-node", "", "kubernetes backend: node to run every pod on (where the workspaces are)")
	f.StringVar(&cfg.Kube.Instance, "kube-instance", "", "kubernetes backend: name of this daemon's objects among other daemons' in the namespace (default: one made once and kept in the data folder)")
	f.IntVar(&cfg.AuditRecords, "audit-records", cfg.AuditRecords, "records each project's audit log keeps (refusals and first contacts); the oldest are dropped first, and counted")
}

func (s *server) Serve(ctx context.Context, dataDir string, printConfig bool, out io.Writer, log *slog.Logger, login func(wire.LoginCode)) error {
	cfg := s.cfg
	cfg.DataDir = dataDir
	cfg.PluginsDir = cfg.PluginsFolder()
	if err := cfg.Validate(); err != nil {
		return err
	}
	if printConfig {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(cfg)
	}
	return api.Serve(ctx, cfg, log, login)
}
