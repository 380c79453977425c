package daemon

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
	"github.com/warden-sh/warden/sidecar/events"
)

// recordingEngine is a sidecar engine that only remembers what it applied.
type recordingEngine struct {
	mu      sync.Mutex
	applied []shared.ValidPolicy
}

func (e *recordingEngine) Status() shared.Status { return shared.Status{Ready: true} }

func (e *recordingEngine) Apply(ctx context.Context, p shared.ValidPolicy) (shared.ApplyResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.applied = append(e.applied, p)
	return shared.ApplyResult{Mode: p.Mode, Domains: p.Policy().Domains, DurationMs: 0.5}, nil
}

func (e *recordingEngine) last() (shared.ValidPolicy, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.applied) == 0 {
		return shared.ValidPolicy{}, 0
	}
	return e.applied[len(e.applied)-1], len(e.applied)
}

// TestWithRealStoreAndControlSocket runs the daemon over the real store
// and the real control client and server on a unix socket; only Docker is
// faked. The sidecar comes up after the edit, as after a crash.
func TestWithRealStoreAndControlSocket(t *testing.T) {
	st, err := store.Open(t.TempDir() + "/warden.db")
	require.NoError(t, err)
	defer st.Close()
	sockets, err := os.MkdirTemp("", "wd")
	require.NoError(t, err)
	defer os.RemoveAll(sockets)

	rt := newFakeRuntime()
	rt.socketDir = sockets
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ReconcileInterval = 20 * time.Millisecond
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	d := New(cfg, st, rt, newControlClients(), log)
	d.watchWarden = func(ctx context.Context, _ string, _ func([]int, error)) error { <-ctx.Done(); return nil }
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = d.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	p, err := d.Create(context.Background(), project.Spec{Name: "web", Workspace: ownedWorkspace(t), AgentType: "codex"})
	require.NoError(t, err)
	rt.setState(p.ID, runningState())
	_, err = st.Update(p.ID, func(cur project.Project) (project.Project, error) {
		cur.Desired = project.DesiredRunning
		return cur, nil
	})
	require.NoError(t, err)

	_, res, err := d.Update(context.Background(), "web", project.Patch{
		Mode: ptr(shared.ModeRestricted), Domains: &[]string{"example.org"},
	})
	require.NoError(t, err)
	require.True(t, res.Pending, "no sidecar listens yet")
	require.Contains(t, res.Error, "not reachable")
	stored, err := st.Get(p.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"example.org"}, stored.Domains, "stored although not applied")

	eng := &recordingEngine{}
	evlog := events.New(100)
	srv := control.NewServer(eng, evlog, log)
	ln, err := control.Listen(rt.SocketPath(p.ID))
	require.NoError(t, err)
	sctx, stopSidecar := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(sctx, ln) }()
	defer func() { stopSidecar(); <-served }()

	eventually(t, func() bool {
		cur, _ := st.Get(p.ID)
		return !cur.Pending()
	}, "the reconcile loop applies the stored policy once the sidecar is up")
	last, _ := eng.last()
	require.Equal(t, []shared.Domain{"example.org"}, last.Domains)

	_, res, err = d.Update(context.Background(), p.ID, project.Patch{AddDomains: []string{"github.com"}})
	require.NoError(t, err)
	require.Equal(t, PushResult{Applied: true, DurationMs: 0.5}, res)
	last, _ = eng.last()
	require.Equal(t, []shared.Domain{"example.org", "github.com"}, last.Domains)

	d.ensureFollower(p.ID)
	evlog.Record(shared.Event{Time: time.Now().UTC(), Kind: shared.EventDNSRefused, Name: "blocked.example", Protocol: "udp"})
	eventually(t, func() bool {
		evs, _ := st.Events(p.ID, 0)
		return len(evs) == 1 && evs[0].Name == "blocked.example"
	}, "a sidecar event reaches the store's history")

	require.NoError(t, d.Delete(context.Background(), p.ID))
	_, err = st.Get(p.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// ownedWorkspace is a temporary folder owned by uid and gid 1000, as a
// user's own workspace is: Warden refuses one of root's.
func ownedWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chown(dir, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	return dir
}
