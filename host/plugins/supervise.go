package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/wait"
)

// exitPoll is how often a running plugin is checked for having died;
// go-plugin reports a death through Exited only.
const exitPoll = 200 * time.Millisecond

// supervisor owns one plugin: it launches it, watches it and restarts it.
type supervisor struct {
	name, path string
	cfg        Config
	reg        Registry
	log        *slog.Logger

	mu     sync.Mutex
	status Status
}

func newSupervisor(c candidate, cfg Config, reg Registry, log *slog.Logger) *supervisor {
	return &supervisor{
		name: c.name, path: c.path, cfg: cfg, reg: reg,
		log:    log.With("plugin", c.name),
		status: Status{Name: c.name, Path: c.path, State: StateFailed},
	}
}

func (s *supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *supervisor) update(fn func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.status)
}

// first launches the plugin once and reports whether it runs; a plugin
// that never ran is not retried.
func (s *supervisor) first() (launched, bool) {
	l, err := launch(s.name, s.path, s.cfg, s.reg, s.log)
	if err != nil {
		s.fail(err)
		return launched{}, false
	}
	s.running(l)
	s.log.Info("plugin loaded", "agent_type", l.def.Name, "pid", l.pid)
	return l, true
}

// fail records a plugin that did not load.
func (s *supervisor) fail(err error) {
	s.log.Error("plugin failed to load; carrying on without it", "path", s.path, "err", err)
	s.update(func(st *Status) {
		st.State, st.Error, st.PID = StateFailed, err.Error(), 0
	})
}

func (s *supervisor) running(l launched) {
	s.update(func(st *Status) {
		st.State, st.Error, st.PID, st.AgentType = StateRunning, "", l.pid, l.def.Name
	})
}

// watch keeps a launched plugin running until ctx ends, then stops it.
func (s *supervisor) watch(ctx context.Context, l launched) {
	delay := s.cfg.RestartDelay
	for {
		began := time.Now()
		if !s.waitExit(ctx, l) {
			l.client.Kill()
			return
		}
		up := time.Since(began)
		exit := fmt.Sprintf("exited after %s at %s", up.Round(10*time.Millisecond), time.Now().Format(time.RFC3339))
		if last := l.stderr.String(); last != "" {
			exit += ": " + last
		}
		if up >= s.cfg.MaxRestartDelay {
			delay = s.cfg.RestartDelay
		}
		s.log.Warn("plugin died; restarting it", "exit", exit, "in", delay)
		s.update(func(st *Status) {
			st.State, st.PID, st.LastExit = StateRestarting, 0, exit
			st.Error = "the process " + exit + "; restarting"
		})
		for {
			if wait.Sleep(ctx, delay) != nil {
				return
			}
			delay = min(2*delay, s.cfg.MaxRestartDelay)
			next, err := launch(s.name, s.path, s.cfg, s.reg, s.log)
			if err == nil {
				l = next
				break
			}
			s.log.Warn("restarting plugin failed", "err", err, "next_in", delay)
			s.update(func(st *Status) {
				st.Error = "restarting: " + err.Error()
			})
			if errIsDefinition(err) {
				// What the plugin defines now is not acceptable; its old
				// definition must not outlive it.
				s.reg.Remove(s.name)
				s.update(func(st *Status) { st.AgentType = "" })
			}
		}
		s.update(func(st *Status) { st.Restarts++ })
		s.running(l)
		s.log.Info("plugin restarted", "agent_type", l.def.Name, "pid", l.pid)
	}
}

// waitExit waits until the process dies (true) or ctx ends (false).
func (s *supervisor) waitExit(ctx context.Context, l launched) bool {
	t := time.NewTicker(exitPoll)
	defer t.Stop()
	for {
		if l.client.Exited() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}

// errIsDefinition reports a launch that failed on what the plugin defines,
// not on the process.
func errIsDefinition(err error) bool {
	return errors.Is(err, agent.ErrInvalid) || errors.Is(err, agent.ErrNameTaken)
}
