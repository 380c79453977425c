package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/warden-sh/warden/host/api/wire"
)

// Server runs the daemon for `warden serve`. The warden command gives the
// CLI one (host/cmd/warden), so this package stays a client of the API: it
// imports nothing of the daemon or the runtime.
type Server interface {
	// Flags registers the daemon's settings on the serve command.
	Flags(f *pflag.FlagSet)
	// Serve checks the settings with the data folder dataDir and runs the
	// daemon until ctx ends, calling login with each address the web UI
	// may be opened at; with printConfig it prints the effective settings
	// to out instead.
	Serve(ctx context.Context, dataDir string, printConfig bool, out io.Writer, log *slog.Logger, login func(wire.LoginCode)) error
}

func (a *app) serveCommand() *cobra.Command {
	var printConfig bool
	var level string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: API, web UI and preview proxy on 127.0.0.1:8090",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.server == nil {
				return errors.New("this build of warden has no daemon; run the warden command (host/cmd/warden)")
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(level)); err != nil {
				return err
			}
			log := slog.New(slog.NewJSONHandler(a.errOut, &slog.HandlerOptions{Level: lvl}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.server.Serve(ctx, a.dataDir, printConfig, a.out, log, a.printLogin)
		},
	}
	f := cmd.Flags()
	if a.server != nil {
		a.server.Flags(f)
	}
	f.BoolVar(&printConfig, "print-config", false, "print the effective configuration and exit")
	f.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	return cmd
}
