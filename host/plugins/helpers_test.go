package plugins

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

// pluginsDir makes a plugins folder holding the example plugin as
// warden-agent-aider and the fake plugin under each mode given.
func pluginsDir(t *testing.T, example bool, fakeModes ...string) string {
	t.Helper()
	dir := t.TempDir()
	if example {
		install(t, bins.example, filepath.Join(dir, "warden-agent-aider"))
	}
	for _, mode := range fakeModes {
		install(t, bins.fake, filepath.Join(dir, "warden-agent-fake-"+mode))
	}
	return dir
}

func install(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, b, 0o755))
}

// start runs a manager over dir with quick restarts, closed when the test
// ends; the log goes to logs.
func start(t *testing.T, dir string, reg Registry) (*Manager, *logBuffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Dir = dir
	cfg.StartTimeout = 2 * time.Second
	cfg.RestartDelay = 50 * time.Millisecond
	cfg.MaxRestartDelay = 400 * time.Millisecond
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := Start(cfg, reg, log)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m, logs
}

func statusOf(t *testing.T, m *Manager, name string) Status {
	t.Helper()
	for _, s := range m.Status() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no plugin %s in %+v", name, m.Status())
	return Status{}
}

// alive reports whether a process with pid exists (and is no zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var _ Registry = (*agent.Registry)(nil)
