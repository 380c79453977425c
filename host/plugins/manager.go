package plugins

import (
	"context"
	"log/slog"
	"sync"
)

// Manager runs the plugins of one folder. Its methods are safe for
// concurrent use.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	sups   []*supervisor
	folder *Status // set when the folder itself could not be read

	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// Start launches every plugin in cfg.Dir at once, registers what each
// defines in reg, and returns when each has loaded or failed. Those that
// loaded are then watched and restarted until Close. A plugin that fails is
// reported (log, Status) and the rest carry on; only a bad Config is an
// error.
func Start(cfg Config, reg Registry, log *slog.Logger) (*Manager, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{cfg: cfg, log: log.With("component", "plugins"), cancel: cancel}
	found, err := discover(cfg.Dir)
	if err != nil {
		m.log.Error("plugins folder refused or unreadable; no plugins loaded", "dir", cfg.Dir, "err", err)
		m.folder = &Status{Name: cfg.Dir, Path: cfg.Dir, State: StateFailed, Error: err.Error()}
		return m, nil
	}
	if len(found) == 0 {
		m.log.Info("no plugins", "dir", cfg.Dir)
	}
	var first sync.WaitGroup
	for _, c := range found {
		s := newSupervisor(c, cfg, reg, m.log)
		m.sups = append(m.sups, s)
		if c.problem != "" {
			s.fail(errorString(c.problem))
			continue
		}
		first.Add(1)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			l, ok := s.first()
			first.Done()
			if ok {
				s.watch(ctx, l)
			}
		}()
	}
	first.Wait()
	return m, nil
}

// Status lists every plugin found, sorted by name.
func (m *Manager) Status() []Status {
	if m == nil {
		return nil
	}
	out := make([]Status, 0, len(m.sups)+1)
	if m.folder != nil {
		out = append(out, *m.folder)
	}
	for _, s := range m.sups {
		out = append(out, s.Status())
	}
	return out
}

// Close stops every plugin process and waits for their supervisors.
func (m *Manager) Close() error {
	if m == nil {
		return nil
	}
	m.once.Do(func() {
		m.cancel()
		m.wg.Wait()
	})
	return nil
}

type errorString string

func (e errorString) Error() string { return string(e) }
