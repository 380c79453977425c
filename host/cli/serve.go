package cli

import (
	"encoding/json"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/warden-sh/warden/host/api"
	"github.com/warden-sh/warden/host/daemon"
)

func (a *app) serveCommand() *cobra.Command {
	cfg := daemon.DefaultConfig()
	var printConfig bool
	var level string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: API, web UI and preview proxy on 127.0.0.1:8090",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.DataDir = a.dataDir
			cfg.PluginsDir = cfg.PluginsFolder()
			if err := cfg.Validate(); err != nil {
				return err
			}
			if printConfig {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(cfg)
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(level)); err != nil {
				return err
			}
			log := slog.New(slog.NewJSONHandler(a.errOut, &slog.HandlerOptions{Level: lvl}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return api.Serve(ctx, cfg, log, func(lc api.LoginCode) { a.printLogin(lc) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", envOr("WARDEN_ADDR", cfg.Listen), "address to listen on (loopback unless --reachable-from-network)")
	f.BoolVar(&cfg.ReachableFromNetwork, "reachable-from-network", false, "allow a --listen address other machines can reach (every call stays authenticated)")
	f.StringVar(&cfg.SocketGroup, "socket-group", cfg.SocketGroup, "group that may use the unix socket warden.sock in the data folder, when it exists")
	f.StringVar(&cfg.SidecarImage, "sidecar-image", cfg.SidecarImage, "image of the sidecars")
	f.StringVar(&cfg.Network, "network", cfg.Network, "Docker network the sidecars join")
	f.StringSliceVar(&cfg.Upstreams, "upstream", cfg.Upstreams, "DNS resolver ip:port the sidecars forward allowed names to (default: the container's own)")
	f.DurationVar(&cfg.ReadyTimeout, "ready-timeout", cfg.ReadyTimeout, "how long a start waits for the sidecar to be ready")
	f.StringVar(&cfg.Proxy.Route, "preview-route", cfg.Proxy.Route, "how previews reach dev servers: direct (the container's address, the sidecar's relay for servers on 127.0.0.1) or relay (always the relay)")
	f.StringVar(&cfg.PluginsDir, "plugins", "", "folder of agent-type plugins, executables named warden-agent-* (default: the data folder's plugins)")
	f.StringVar(&cfg.Backend, "backend", cfg.Backend, "what runs the projects: docker or kubernetes")
	f.StringVar(&cfg.Kube.Kubeconfig, "kubeconfig", "", "kubernetes backend: kubeconfig file of the cluster (absolute path)")
	f.StringVar(&cfg.Kube.Namespace, "namespace", "", "kubernetes backend: namespace of the projects' pods")
	f.StringVar(&cfg.Kube.PodAPIServer, "kube-pod-api", "", "kubernetes backend: API server URL as pods reach it (default: the kubeconfig's)")
	f.StringVar(&cfg.Kube.HostGateway, "kube-host-gateway", "", "kubernetes backend: this host's address as pods reach it (default: the API server's, when an IP)")
	f.StringVar(&cfg.Kube.Node, "kube-node", "", "kubernetes backend: node to run every pod on (where the workspaces are)")
	f.BoolVar(&printConfig, "print-config", false, "print the effective configuration and exit")
	f.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	return cmd
}
