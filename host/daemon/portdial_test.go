package daemon

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

// dialingRuntime is a runtime that reaches the projects' ports itself, as
// the Kubernetes one does through port-forward.
type dialingRuntime struct {
	*fakeRuntime
	dialed chan string
}

func (r dialingRuntime) DialPort(_ context.Context, id string, port int) (net.Conn, error) {
	r.dialed <- id + ":" + strconv.Itoa(port)
	a, b := net.Pipe()
	b.Close()
	return a, nil
}

func TestPreviewDialsThroughARuntimeThatCan(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	rt := dialingRuntime{fakeRuntime: newFakeRuntime(), dialed: make(chan string, 1)}
	rt.setState(p.ID, runningAt("198.18.0.7"))
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	d := New(cfg, newFakeStore(p), rt, newFakeSidecar(), slog.New(slog.DiscardHandler))
	d.watchWarden = func(ctx context.Context, _ string, _ func([]int, error)) error { <-ctx.Done(); return nil }
	t.Cleanup(func() { d.Close() })

	pv, err := d.Preview(context.Background(), p.ID)
	require.NoError(t, err)
	require.NotNil(t, pv.Dial, "the preview carries the runtime's way to the ports")
	c, err := pv.Dial(context.Background(), 5173)
	require.NoError(t, err)
	c.Close()
	select {
	case got := <-rt.dialed:
		require.Equal(t, p.ID+":5173", got)
	case <-time.After(time.Second):
		t.Fatal("the runtime was not asked")
	}

	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningAt("172.17.0.5"))
	pv, err = env.d.Preview(context.Background(), p.ID)
	require.NoError(t, err)
	require.Nil(t, pv.Dial, "a Docker project is reached at its address")
}
