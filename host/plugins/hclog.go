package plugins

import (
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter passes go-plugin's log lines, and the plugins' own, to slog.
type hclogAdapter struct {
	hclog.Logger // only for the methods go-plugin does not call (standard loggers)
	log          *slog.Logger
	name         string
}

func newHCLog(log *slog.Logger) hclog.Logger {
	return &hclogAdapter{Logger: hclog.NewNullLogger(), log: log}
}

func (h *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	lvl := slog.LevelDebug
	switch level {
	case hclog.Warn:
		lvl = slog.LevelWarn
	case hclog.Error:
		lvl = slog.LevelError
	}
	// go-plugin names the executable's path "plugin"; the daemon's log
	// already names the plugin under that key.
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == "plugin" {
			args = append(args[:i:i], append([]any{"path"}, args[i+1:]...)...)
		}
	}
	if h.name != "" {
		args = append(args, "logger", h.name)
	}
	h.log.Log(context.Background(), lvl, msg, args...)
}

func (h *hclogAdapter) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }
func (h *hclogAdapter) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }
func (h *hclogAdapter) Info(msg string, args ...any)  { h.Log(hclog.Info, msg, args...) }
func (h *hclogAdapter) Warn(msg string, args ...any)  { h.Log(hclog.Warn, msg, args...) }
func (h *hclogAdapter) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

func (h *hclogAdapter) IsTrace() bool { return false }
func (h *hclogAdapter) IsDebug() bool { return true }
func (h *hclogAdapter) IsInfo() bool  { return true }
func (h *hclogAdapter) IsWarn() bool  { return true }
func (h *hclogAdapter) IsError() bool { return true }

func (h *hclogAdapter) GetLevel() hclog.Level { return hclog.Debug }
func (h *hclogAdapter) SetLevel(hclog.Level)  {}
func (h *hclogAdapter) ImpliedArgs() []any    { return nil }
func (h *hclogAdapter) Name() string          { return h.name }

func (h *hclogAdapter) With(args ...any) hclog.Logger {
	c := *h
	c.log = h.log.With(args...)
	return &c
}

func (h *hclogAdapter) Named(name string) hclog.Logger {
	c := *h
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	return &c
}

func (h *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}
