package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/plugins"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/host/store"
)

// Open creates the data folder, opens the store in it, connects to Docker,
// loads the agent-type plugins and returns a daemon over them. Close
// releases them.
func Open(cfg Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data folder %s: %w", cfg.DataDir, err)
	}
	st, err := store.Open(cfg.StorePath())
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", cfg.StorePath(), err)
	}
	if cfg.AuditRecords > 0 {
		st.SetEventHistory(cfg.AuditRecords)
	}
	agents := agent.NewRegistry()
	if cfg.Backend == BackendKubernetes {
		return openKube(cfg, st, agents, log)
	}
	rt, err := runtime.New(runtime.Config{
		SidecarImage: cfg.SidecarImage,
		SocketRoot:   cfg.SocketRoot(),
		HomeRoot:     cfg.HomeRoot(),
		Network:      cfg.Network,
		Upstreams:    cfg.Upstreams,
		// Agents reach the host's ports as their project says, never the
		// daemon's own.
		ClosedHostPorts: cfg.listenPorts(),
		ReadyTimeout:    cfg.ReadyTimeout,
		Agents:          agents,
	}, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Plugins load before the daemon answers, so the first presets the API
	// gives already hold them; a broken plugin is reported, not fatal.
	pl, err := plugins.Start(plugins.Config{Dir: cfg.PluginsFolder()}, agents, log)
	if err != nil {
		rt.Close()
		st.Close()
		return nil, err
	}
	// The Docker client agrees on an API version at its first call, and two
	// first calls at once race; make that call here, alone.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if _, err := rt.List(ctx); err != nil {
		log.Warn("the Docker engine does not answer; projects cannot start until it does", "component", "daemon", "err", err)
	}
	cancel()
	d := New(cfg, st, rt, newControlClients(), log)
	d.agents, d.plugins = agents, pl
	d.onClose = func() error {
		return errors.Join(pl.Close(), rt.Close(), st.Close())
	}
	return d, nil
}

var (
	_ ContainerRuntime = (*runtime.Runtime)(nil)
	_ SidecarControl   = (*controlClients)(nil)
	_ ProjectStore     = (*store.Store)(nil)
)
