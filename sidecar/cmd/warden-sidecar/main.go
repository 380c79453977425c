// Command warden-sidecar enforces a project's network policy from inside the
// network namespace it shares with the agent container. It needs
// CAP_NET_ADMIN and nothing else. See the README for running it by hand.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/warden-sh/warden/sidecar/control"
	"github.com/warden-sh/warden/sidecar/engine"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "warden-sidecar:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	if opts.printConfig {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(opts.cfg)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: opts.logLevel}))

	eng, err := engine.New(opts.cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = eng.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}
	if opts.kube != nil {
		err = runKube(ctx, opts.kube, eng, log)
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if serr := eng.Shutdown(shutCtx); err == nil {
			err = serr
		}
		return err
	}
	ln, err := control.Listen(opts.socket)
	if err != nil {
		return fmt.Errorf("opening control socket: %w", err)
	}
	log.Info("control socket listening", "component", "main", "path", opts.socket)
	// Serve returns once ctx ends (SIGTERM), after closing follow streams.
	err = control.NewServer(eng, eng.Events(), log).ServeNamespace(newNamespace(opts.cfg)).Serve(ctx, ln)
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := eng.Shutdown(shutCtx); err == nil {
		err = serr
	}
	return err
}
