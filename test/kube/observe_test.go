package kube

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/metrics"
	"github.com/warden-sh/warden/shared"
)

// runDaemon opens a daemon on the Kubernetes backend over dataDir and runs
// it (reconciliation, followers) until the returned stop is called.
func (e *env) runDaemon(t testing.TB, dataDir string) (*daemon.Daemon, func()) {
	t.Helper()
	cfg := e.daemonConfig(dataDir, "127.0.0.1:0")
	var log *slog.Logger
	if os.Getenv("WARDEN_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := daemon.Open(cfg, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return d, stop
}

// scrape reads the daemon's /metrics as Prometheus does and parses it with
// the Prometheus text parser.
func scrape(t testing.TB, d *daemon.Daemon) (metrics.Families, time.Duration) {
	t.Helper()
	h := metrics.Handler(metrics.New(d, slog.New(slog.DiscardHandler)))
	rec := httptest.NewRecorder()
	began := time.Now()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	took := time.Since(began)
	require.Equal(t, http.StatusOK, rec.Code)
	fams, err := metrics.Parse(rec.Body)
	require.NoError(t, err)
	return fams, took
}

func series(f metrics.Families, name, id string, labels ...string) float64 {
	want := map[string]string{"project": id}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	v, _ := f.Value(name, want)
	return v
}

// audit is the project's whole audit log.
func audit(t *testing.T, d *daemon.Daemon, id string) []daemon.AuditRecord {
	t.Helper()
	page, err := d.Audit(context.Background(), id, daemon.AuditQuery{})
	require.NoError(t, err)
	return page.Records
}

// count is how many records of kind carry name.
func count(recs []daemon.AuditRecord, kind shared.EventKind, name string) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind && r.Name == name {
			n++
		}
	}
	return n
}

// TestKubeDaemonSeesWhatTheSidecarReports drives the daemon on the
// Kubernetes backend and checks that the sidecar's events, counters and
// listening ports reach it through the sidecar's log: first contacts and
// refusals in the audit log, followed live, /metrics moving, a port the
// agent opens among the project's ports; across a sidecar restart and a
// daemon restart nothing is lost or stored twice.
func TestKubeDaemonSeesWhatTheSidecarReports(t *testing.T) {
	e := newEnv(t)
	dataDir := t.TempDir()
	d, stop := e.runDaemon(t, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := e.startProject(t, ctx, d, testSpec("kube-observe", newProject(t, shared.ModeRestricted).Workspace, shared.ModeRestricted, "allowed.test"))
	id := p.ID

	var before metrics.Families
	e.eventually(t, "the sidecar up in /metrics", func() bool {
		before, _ = scrape(t, d)
		return series(before, "warden_sidecar_up", id) == 1 && series(before, "warden_sidecar_ready", id) == 1
	})

	// A first contact, a refused name, a refused address.
	require.Equal(t, "NOERROR", e.rcode(t, id, "allowed.test"))
	require.Equal(t, "REFUSED", e.rcode(t, id, "refused.test"))
	require.False(t, e.probe(t, id, "agent", "tcp", "203.0.113.5:7", "-timeout", "2s").OK)

	moved := [][]string{
		{"warden_dns_queries_total", "decision", "allowed"},
		{"warden_dns_queries_total", "decision", "refused"},
		{"warden_connections_refused_total", "reason", "address"},
		{"warden_names_first_contact_total"},
	}
	var after metrics.Families
	e.eventually(t, "the counters to move in /metrics", func() bool {
		after, _ = scrape(t, d)
		for _, m := range moved {
			if series(after, m[0], id, m[1:]...) <= series(before, m[0], id, m[1:]...) {
				return false
			}
		}
		return true
	})
	for _, m := range moved {
		t.Logf("%s %v: %v -> %v", m[0], m[1:], series(before, m[0], id, m[1:]...), series(after, m[0], id, m[1:]...))
	}

	var recs []daemon.AuditRecord
	e.eventually(t, "the first contact and the refusals in the audit log", func() bool {
		recs = audit(t, d, id)
		return count(recs, shared.EventDNSAllowed, "allowed.test") == 1 && count(recs, shared.EventDNSRefused, "refused.test") == 1 &&
			hasConn(recs, "203.0.113.5", 7)
	})
	for _, r := range recs {
		require.Equal(t, id, r.Project)
	}
	first := recs[0]
	for _, r := range recs {
		if r.Kind == shared.EventDNSAllowed {
			first = r
		}
	}
	require.Equal(t, []string{podGateway}, first.Addresses, "the first contact names the addresses")

	// Live: a new refusal reaches a follower of the audit log.
	fctx, fcancel := context.WithCancel(ctx)
	live := make(chan daemon.AuditRecord, 64)
	go func() {
		_ = d.FollowAudit(fctx, id, daemon.AuditQuery{After: recs[len(recs)-1].Seq}, func(r daemon.AuditRecord) { live <- r })
	}()
	require.Equal(t, "REFUSED", e.rcode(t, id, "live.refused.test"))
	select {
	case r := <-live:
		require.Equal(t, "live.refused.test", r.Name)
	case <-time.After(15 * time.Second):
		t.Fatal("the followed audit log never showed the new refusal")
	}
	fcancel()

	// A port the agent opens shows among the project's listening ports.
	e.exec(t, id, "agent", "sh", "-c", "nohup devserver -listen 127.0.0.1:8123 >/dev/null 2>&1 &")
	e.eventually(t, "port 8123 among the listening ports", func() bool {
		ports, err := d.Ports(ctx, id)
		require.NoError(t, err)
		for _, lp := range ports.Listening {
			if lp.Port == 8123 {
				return lp.LoopbackOnly
			}
		}
		return false
	})
	st, err := d.Status(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, st.Sidecar, "sidecar error: %s", st.SidecarError)
	require.True(t, st.Sidecar.Ready)
	require.Equal(t, shared.ModeRestricted, st.Sidecar.Mode)
	require.NotZero(t, st.Sidecar.DNS.Refused)

	// The sidecar restarts with the daemon following: what comes after is
	// stored once, and the sidecar is up again.
	restarts := e.sidecarRestarts(t, id)
	e.exec(t, id, "sidecar", "sh", "-c", "kill 1")
	e.eventually(t, "the sidecar to run again", func() bool { return e.sidecarRestarts(t, id) > restarts && e.sidecarRunning(t, id) })
	require.Equal(t, "REFUSED", e.rcode(t, id, "after-restart.refused.test"))
	e.eventually(t, "the refusal after the restart stored", func() bool {
		return count(audit(t, d, id), shared.EventDNSRefused, "after-restart.refused.test") == 1
	})
	e.eventually(t, "the restarted sidecar up in /metrics", func() bool {
		f, _ := scrape(t, d)
		return series(f, "warden_sidecar_up", id) == 1
	})

	// The daemon stops; meanwhile the agent is refused, the sidecar is
	// restarted, and the agent is refused again. The daemon started again
	// stores both, from the old container's log and the new one's, and
	// nothing twice.
	stop()
	require.Equal(t, "REFUSED", e.rcode(t, id, "while-down.refused.test"))
	restarts = e.sidecarRestarts(t, id)
	e.exec(t, id, "sidecar", "sh", "-c", "kill 1")
	e.eventually(t, "the sidecar to run again", func() bool { return e.sidecarRestarts(t, id) > restarts && e.sidecarRunning(t, id) })
	require.Equal(t, "REFUSED", e.rcode(t, id, "after-second-restart.refused.test"))
	d, _ = e.runDaemon(t, dataDir)
	e.eventually(t, "the refusals made while the daemon was down stored", func() bool {
		recs = audit(t, d, id)
		return count(recs, shared.EventDNSRefused, "while-down.refused.test") == 1 &&
			count(recs, shared.EventDNSRefused, "after-second-restart.refused.test") == 1
	})
	for _, name := range []string{"refused.test", "live.refused.test", "after-restart.refused.test", "while-down.refused.test", "after-second-restart.refused.test"} {
		require.Equal(t, 1, count(recs, shared.EventDNSRefused, name), "%s stored once", name)
	}
	require.Equal(t, 1, count(recs, shared.EventDNSAllowed, "allowed.test"), "the first contact stored once")
	for i := 1; i < len(recs); i++ {
		require.False(t, recs[i].Time.Before(recs[i-1].Time), "stored in order: %v before %v", recs[i-1], recs[i])
	}
	e.eventually(t, "the sidecar up in /metrics after the daemon restart", func() bool {
		f, _ := scrape(t, d)
		return series(f, "warden_sidecar_up", id) == 1
	})
	_, took := scrape(t, d)
	t.Logf("one scrape with one project: %v", took)
}

// rcode is the answer's code when the agent resolves name.
func (e *env) rcode(t *testing.T, id, name string) string {
	t.Helper()
	out := e.exec(t, id, "agent", "probe", "resolve", name)
	var r struct {
		Rcode string `json:"rcode"`
	}
	require.NoError(t, jsonUnmarshal(out, &r), "probe printed %q", out)
	return r.Rcode
}

func hasConn(recs []daemon.AuditRecord, addr string, port int) bool {
	for _, r := range recs {
		if r.Kind == shared.EventConnRejected && r.Address == addr && r.Port == port {
			return true
		}
	}
	return false
}

func (e *env) sidecarRunning(t *testing.T, id string) bool {
	t.Helper()
	pod, err := e.cs.CoreV1().Pods(e.ns).Get(context.Background(), "warden-"+id, metav1.GetOptions{})
	require.NoError(t, err)
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == "sidecar" {
			return cs.State.Running != nil
		}
	}
	return false
}

// forgedLine is a valid report of a first contact that never happened.
func forgedLine(name string) string {
	return fmt.Sprintf(`{"warden":1,"kind":"event","boot":"00000000000000f0","seq":1,"event":{"time":%q,"kind":"dns-allowed","name":%q,"protocol":"udp"}}`,
		time.Now().UTC().Format(time.RFC3339Nano), name)
}

// forgeScript writes a forged report line into the standard output of
// every process it sees whose command line holds target; it prints how
// many it reached. The
// pattern is written so that the script's own command line does not match.
func forgeScript(target, line string) string {
	target = target[:len(target)-1] + "[" + target[len(target)-1:] + "]"
	return fmt.Sprintf(`n=0; for p in /proc/[0-9]*; do
  if tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q -- '%s'; then
    if printf '%%s\n' '%s' > $p/fd/1 2>/dev/null; then n=$((n+1)); fi
  fi
done
echo $n`, target, line)
}

// TestKubeAgentCannotForgeReports: the daemon trusts report lines because
// only the sidecar's process writes the sidecar container's standard
// output. With the pod's processes shared (shareProcessNamespace), a
// process of one container writes into another's output through
// /proc/PID/fd/1, and its forged line is a valid report; the project's pod
// shares no processes, so the agent (no root here: sudo cannot gain it
// under no_new_privs, TestKubeAgentRules) reaches no
// sidecar process, and its own output is not read: no forged record appears.
func TestKubeAgentCannotForgeReports(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// The defence off: a pod sharing its processes.
	yes := true
	image := "warden-agent-test:" + imageTag
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "shared-pids"},
		Spec: corev1.PodSpec{
			NodeName: nodeName, ShareProcessNamespace: &yes, AutomountServiceAccountToken: new(bool),
			Containers: []corev1.Container{
				{Name: "sidecar", Image: image, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "1000001"}},
				{Name: "agent", Image: image, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "infinity"}},
			},
		},
	}
	_, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	e.eventually(t, "the shared-pids pod to run", func() bool {
		p, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "shared-pids", metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning
	})
	out := e.execPod(t, "shared-pids", "agent", "sh", "-c", forgeScript("sleep 1000001", forgedLine("forged-shared.example")))
	require.Equal(t, "1", out, "the agent reached the other container's process")
	e.eventually(t, "the forged line in the other container's log", func() bool {
		return forgedIn(t, e.podLog(t, "shared-pids", "sidecar"), "forged-shared.example")
	})

	// The defence on: the project's pod.
	dataDir := t.TempDir()
	d, _ := e.runDaemon(t, dataDir)
	spec := testSpec("kube-forge", newProject(t, shared.ModeRestricted).Workspace, shared.ModeRestricted, "allowed.test")
	spec.Image = image
	p := e.startProject(t, ctx, d, spec)
	live, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	require.False(t, live.Spec.ShareProcessNamespace != nil && *live.Spec.ShareProcessNamespace, "the project's pod shares no processes")

	out = e.exec(t, p.ID, "agent", "sh", "-c", forgeScript("warden-sidecar", forgedLine("forged-project.example")))
	require.Equal(t, "0", out, "the agent reached a sidecar process")
	procs := e.exec(t, p.ID, "agent", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
	require.NotContains(t, procs, "warden-sidecar", "the agent sees the sidecar's process")
	// Written into the agent container's own output (its PID 1 runs as
	// the agent's user), the line lands in the agent's log, which is not
	// read.
	e.exec(t, p.ID, "agent", "sh", "-c", fmt.Sprintf("printf '%%s\\n' '%s' > /proc/1/fd/1", forgedLine("forged-project.example")))
	e.eventually(t, "the forged line in the agent's log", func() bool {
		return forgedIn(t, e.podLog(t, "warden-"+p.ID, "agent"), "forged-project.example")
	})
	// A real refusal after the attempt is stored; the forged contact is not.
	require.Equal(t, "REFUSED", e.rcode(t, p.ID, "after-forge.refused.test"))
	e.eventually(t, "the refusal after the attempt stored", func() bool {
		return count(audit(t, d, p.ID), shared.EventDNSRefused, "after-forge.refused.test") == 1
	})
	for _, r := range audit(t, d, p.ID) {
		require.NotContains(t, r.Name, "forged", "a forged record was stored: %+v", r)
	}
	require.False(t, forgedIn(t, e.podLog(t, "warden-"+p.ID, "sidecar"), "forged-project.example"))
}

// podLog is a container's log through the API server.
func (e *env) podLog(t *testing.T, pod, container string) string {
	t.Helper()
	b, err := e.cs.CoreV1().Pods(e.ns).GetLogs(pod, &corev1.PodLogOptions{Container: container}).DoRaw(context.Background())
	require.NoError(t, err)
	return string(b)
}

// forgedIn reports whether log holds a valid report of an event for name.
func forgedIn(t *testing.T, log, name string) bool {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		rep, err := shared.ParseKubeReport([]byte(line))
		if err == nil && rep.Kind == shared.KubeReportEvent && rep.Event.Name == name {
			return true
		}
	}
	return false
}
