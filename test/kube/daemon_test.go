package kube

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// TestKubeDaemon drives the daemon on the Kubernetes backend as `warden
// serve --backend kubernetes` does: create and start a project, switch its
// mode live, restart the daemon (its view rebuilt from the cluster, the pod
// left running), and delete the project.
func TestKubeDaemon(t *testing.T) {
	e := newEnv(t)
	dataDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	d := e.openDaemon(t, dataDir)
	ws := newProject(t, shared.ModeRestricted).Workspace
	p := e.startProject(t, ctx, d, testSpec("kube-daemon", ws, shared.ModeRestricted, "allowed.test"))
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("allowed.test not reached: %+v", r)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("other.test reached in restricted mode: %+v", r)
	}
	full := shared.ModeFull
	_, res, err := d.Update(ctx, p.ID, project.Patch{Mode: &full})
	if err != nil || !res.Applied {
		t.Fatalf("switching to full: %+v, %v", res, err)
	}
	if r := e.reach(t, p.ID, "other.test"); !r.OK {
		t.Fatalf("other.test not reached in full mode: %+v", r)
	}
	st, err := d.Status(ctx, p.ID)
	if err != nil || !st.Running || st.PolicyPending || st.Sidecar == nil || !st.Sidecar.Ready || st.Sidecar.Mode != shared.ModeFull {
		t.Fatalf("status after the switch: %+v (sidecar %+v), %v", st, st.Sidecar, err)
	}
	agentID := st.Containers.Agent.ID

	// A restarted daemon finds the project running, as it left it.
	d.Close()
	d = e.openDaemon(t, dataDir)
	st, err = d.Status(ctx, p.ID)
	if err != nil || !st.Running || st.Containers.Agent.ID != agentID {
		t.Fatalf("after a daemon restart: running=%v agent %q (was %q), %v", st.Running, st.Containers.Agent.ID, agentID, err)
	}
	if err := d.Delete(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	left, err := e.cs.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(left.Items) != 0 {
		t.Fatalf("pods left after delete: %v, %v", left, err)
	}
}

// Two daemons share a namespace: each leaves the other's pods alone. The
// daemon's rebuild removes the pods of projects it does not know, so a
// second daemon that took the first one's pods for its own (the same
// instance, as every daemon had before each got one of its own) deletes a
// running project of the first: shown first, then not with its own.
func TestKubeTwoDaemonsShareANamespace(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	aData := t.TempDir()
	a := e.openDaemon(t, aData)
	p, err := a.Create(ctx, testSpec("first-daemons", newProject(t, shared.ModeRestricted).Workspace, shared.ModeRestricted, "allowed.test"))
	require.NoError(t, err)
	podUID := func() types.UID {
		pod, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return ""
		}
		require.NoError(t, err)
		return pod.UID
	}
	start := func() types.UID {
		t.Helper()
		if _, _, err := a.Start(ctx, p.ID); err != nil {
			t.Fatalf("starting: %v\n%s", err, e.describe(p.ID))
		}
		require.True(t, e.reach(t, p.ID, "allowed.test").OK, "the first daemon's project does not reach its allowed name")
		return podUID()
	}
	aInstance, err := os.ReadFile(filepath.Join(aData, "kube-instance"))
	require.NoError(t, err)

	// A second daemon under the first one's instance: its rebuild removes
	// the first one's running pod.
	uid := start()
	same := e.daemonConfig(t.TempDir(), "127.0.0.1:0")
	same.Kube.Instance = strings.TrimSpace(string(aInstance))
	rebuild(t, same)
	require.Empty(t, podUID(), "a second daemon of the same instance left the first one's pod %s", uid)

	// Each with its own: the second daemon's rebuild leaves the pod, and
	// its list does not show it.
	uid = start()
	own := e.daemonConfig(t.TempDir(), "127.0.0.1:0")
	rebuild(t, own)
	require.Equal(t, uid, podUID(), "a second daemon of its own instance replaced or removed the first one's pod")
	require.True(t, e.reach(t, p.ID, "allowed.test").OK)
}

// rebuild opens a daemon with cfg and runs it until its rebuild from the
// store and the cluster has ended (its "rebuilt" log line), then stops it.
func rebuild(t *testing.T, cfg daemon.Config) {
	t.Helper()
	rebuilt := make(chan struct{})
	log := slog.New(&signalHandler{msg: "rebuilt", seen: rebuilt})
	d, err := daemon.Open(cfg, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	select {
	case <-rebuilt:
	case <-done:
		t.Fatal("the daemon ended before its rebuild")
	case <-time.After(2 * time.Minute):
		t.Fatal("the daemon did not rebuild within 2 minutes")
	}
	cancel()
	<-done
}

// signalHandler closes seen when a record with message msg is logged.
type signalHandler struct {
	msg  string
	seen chan struct{}
	once sync.Once
}

func (h *signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}
func (h *signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *signalHandler) WithGroup(string) slog.Handler      { return h }

// daemonConfig is the daemon's configuration on the Kubernetes backend in
// e's namespace, as `warden serve --backend kubernetes` makes it.
func (e *env) daemonConfig(dataDir, listen string) daemon.Config {
	cfg := daemon.DefaultConfig()
	cfg.DataDir = dataDir
	cfg.Listen = listen
	cfg.SidecarImage = "warden-sidecar:" + imageTag
	cfg.Upstreams = []string{podGateway + ":" + fakeDNSPort}
	cfg.ReadyTimeout = 90 * time.Second
	cfg.Backend = daemon.BackendKubernetes
	cfg.Kube = daemon.KubeConfig{Kubeconfig: kubeconfig, Namespace: e.ns, Node: nodeName}
	return cfg
}

// openDaemon opens a daemon on the Kubernetes backend over dataDir, closed
// when the test ends (closing twice is fine).
func (e *env) openDaemon(t testing.TB, dataDir string) *daemon.Daemon {
	t.Helper()
	d, err := daemon.Open(e.daemonConfig(dataDir, "127.0.0.1:0"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// testSpec is a project of the test agent image in workspace.
func testSpec(name, workspace string, mode shared.Mode, domains ...string) project.Spec {
	if domains == nil {
		domains = []string{}
	}
	return project.Spec{Name: name, Workspace: workspace, AgentType: "claude-code", Mode: mode, Domains: &domains,
		Image: "warden-agent-test:" + imageTag}
}

// startProject creates spec through d and starts it.
func (e *env) startProject(t testing.TB, ctx context.Context, d *daemon.Daemon, spec project.Spec) project.Project {
	t.Helper()
	p, err := d.Create(ctx, spec)
	require.NoError(t, err)
	if _, _, err := d.Start(ctx, p.ID); err != nil {
		t.Fatalf("starting: %v\n%s", err, e.describe(p.ID))
	}
	return p
}
