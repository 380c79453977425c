package daemon

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
)

type testEnv struct {
	d  *Daemon
	st *fakeStore
	rt *fakeRuntime
	sc *fakeSidecar
}

// newTestEnv builds a daemon over fakes holding ps. The .warden.json
// watcher does nothing unless a test replaces it.
func newTestEnv(t *testing.T, ps ...project.Project) *testEnv {
	t.Helper()
	env := &testEnv{st: newFakeStore(ps...), rt: newFakeRuntime(), sc: newFakeSidecar()}
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ReconcileInterval = 20 * time.Millisecond
	cfg.PushTimeout = time.Second
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.d = New(cfg, env.st, env.rt, env.sc, log)
	env.d.settle = 10 * time.Millisecond
	env.d.watchWarden = func(ctx context.Context, _ string, _ func([]int, error)) error {
		<-ctx.Done()
		return nil
	}
	t.Cleanup(func() { require.NoError(t, env.d.Close()) })
	return env
}

// run runs the daemon's loops until the test ends.
func (env *testEnv) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = env.d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func (env *testEnv) socket(id string) string { return env.rt.SocketPath(id) }

// newProject builds a valid project in a fresh workspace.
func newProject(t *testing.T, name, desired string) project.Project {
	t.Helper()
	domains := []string{"github.com", "npmjs.org"}
	p, err := project.Spec{
		Name:      name,
		Workspace: t.TempDir(),
		AgentType: "claude-code",
		Domains:   &domains,
	}.Build(project.NewID(), time.Now(), agent.NewRegistry())
	require.NoError(t, err)
	p.Desired = desired
	return p
}

// eventually polls cond until it holds or a few seconds pass.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, dir, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, project.WardenFileName), []byte(body), 0o644))
}
