package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/warden-sh/warden/test/benchfig"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// The Kubernetes benchmarks run with `make bench` (go test -bench), never
// with `make test`. Each writes its figures to $WARDEN_BENCH_OUT (a JSON
// list in bench/results.json's shape) when that is set.
// $WARDEN_KUBE_BENCH_PODS (default 50) is the number of project pods.

// BenchmarkKubeEditEnforce measures the time from a domain edit (the
// daemon's push: the ConfigMap written, the sidecar's confirmation awaited)
// to a probe inside the agent container seeing it, with 50 project pods
// running; 20 additions and 20 removals spread over the pods.
func BenchmarkKubeEditEnforce(b *testing.B) {
	e := newEnv(b)
	ids := make([]string, benchPods())
	projects := make(map[string]project.Project, len(ids))
	for i := range ids {
		p := newProject(b, shared.ModeRestricted, "allowed.test")
		ids[i], projects[p.ID] = p.ID, p
	}
	startAll(b, ids, func(ctx context.Context, id string) error { return e.rt.Start(ctx, projects[id]) },
		func(id string) error { return e.rt.Remove(context.Background(), id) })
	var samples []float64
	for round := 0; round < 20; round++ {
		id := ids[round%len(ids)]
		samples = append(samples,
			e.timeEdit(b, id, []string{"allowed.test", "added.test"}, "ok"),
			e.timeEdit(b, id, []string{"allowed.test"}, "refused"))
	}
	p50, p99 := benchfig.Percentile(samples, 50), benchfig.Percentile(samples, 99)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
	benchfig.Write(b, []benchfig.Figure{
		{Name: fmt.Sprintf("k8s_edit_enforce_p50_ms_%d", len(ids)), Value: benchfig.Round2(p50), Unit: "ms"},
		{Name: fmt.Sprintf("k8s_edit_enforce_p99_ms_%d", len(ids)), Value: benchfig.Round2(p99), Unit: "ms"},
	})
}

// benchPods is the number of project pods of a benchmark:
// $WARDEN_KUBE_BENCH_PODS, 50 by default.
func benchPods() int {
	if v, err := strconv.Atoi(os.Getenv("WARDEN_KUBE_BENCH_PODS")); err == nil && v > 0 {
		return v
	}
	return 50
}

// startAll starts the projects ids, four at a time, and removes them when
// the benchmark ends; a failed start ends it.
func startAll(b *testing.B, ids []string, start func(context.Context, string) error, remove func(string) error) {
	b.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if err := start(ctx, id); err != nil {
				b.Errorf("starting project %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	b.Cleanup(func() {
		for _, id := range ids {
			_ = remove(id)
		}
	})
	if b.Failed() {
		b.FailNow()
	}
}

// timeEdit makes domains the project's allowlist and returns the
// milliseconds until a probe in its agent container, resolving added.test
// every millisecond, sees the answer turn to want.
func (e *env) timeEdit(b *testing.B, id string, domains []string, want string) float64 {
	b.Helper()
	cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", e.ns, "exec", "warden-"+id, "-c", "agent", "--",
		"probe", "watch", "added.test", "-until", want, "-interval", "1ms")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	rd := bufio.NewReader(out)
	if line, err := rd.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		b.Fatalf("probe watch did not start: %q %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := e.rt.PutPolicy(ctx, e.rt.SocketPath(id), shared.Policy{Mode: shared.ModeRestricted, Domains: domains}); err != nil {
		b.Fatalf("editing %s: %v", id, err)
	}
	line, _ := rd.ReadString('\n')
	_ = cmd.Wait()
	var r struct {
		OK bool  `json:"ok"`
		At int64 `json:"at"`
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil || !r.OK || r.At == 0 {
		b.Fatalf("probe watch: %q", line)
	}
	return float64(r.At-start.UnixNano()) / 1e6
}

// BenchmarkKubeProjectStart compares starting a project (its access, its
// policy, the pod with the sidecar first and ready, then the agent) with a
// plain pod of the same two images and nothing of Warden's, both timed until
// the pod is ready; the median of 7 each, alternating.
func BenchmarkKubeProjectStart(b *testing.B) {
	e := newEnv(b)
	var warden, plain []float64
	for i := 0; i < 7; i++ {
		p := newProject(b, shared.ModeRestricted, "allowed.test")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		start := time.Now()
		if err := e.rt.Start(ctx, p); err != nil {
			cancel()
			b.Fatalf("starting project: %v\n%s", err, e.describe(p.ID))
		}
		warden = append(warden, benchfig.MS(time.Since(start)))
		if err := e.rt.Remove(ctx, p.ID); err != nil {
			b.Fatal(err)
		}
		plain = append(plain, e.timePlainPod(ctx, b, p, i))
		cancel()
	}
	w, peer := benchfig.Round2(benchfig.Percentile(warden, 50)), benchfig.Round2(benchfig.Percentile(plain, 50))
	b.ReportMetric(w, "warden_ms")
	b.ReportMetric(peer, "plain_pod_ms")
	benchfig.Write(b, []benchfig.Figure{{Name: "k8s_project_start_ms", Value: w, Unit: "ms", Peer: "plain-pod", PeerValue: &peer}})
}

// timePlainPod creates a pod of the sidecar's and the agent's images as two
// ordinary containers (the agent image's command in both), and returns the
// milliseconds until it is ready, read every 10 ms (a watch from "now" is
// refused at times by this API server over etcd 3.4: its cache cannot
// confirm it is current).
func (e *env) timePlainPod(ctx context.Context, b *testing.B, p project.Project, i int) float64 {
	b.Helper()
	name := fmt.Sprintf("plain-%d", i)
	pods := e.cs.CoreV1().Pods(e.ns)
	no, grace := false, int64(0)
	start := time.Now()
	_, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName:                      nodeName,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{
				{Name: "one", Image: "warden-sidecar:" + imageTag, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "infinity"}},
				{Name: "two", Image: p.Image, ImagePullPolicy: corev1.PullNever},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = pods.Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &grace}) }()
	for {
		pod, err := pods.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			b.Fatalf("reading pod %s: %v", name, err)
		}
		if podIsReady(pod) {
			return benchfig.MS(time.Since(start))
		}
		select {
		case <-ctx.Done():
			b.Fatalf("pod %s not ready: %v", name, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func podIsReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// BenchmarkKubeMetricsScrape times the daemon's /metrics (its handler, in
// the process) with 50 projects running on the cluster, started through the
// daemon, once every sidecar has reported: the series come from what the
// daemon keeps of the sidecars' report lines and its policy cache, so a
// scrape asks the API server nothing.
func BenchmarkKubeMetricsScrape(b *testing.B) {
	e := newEnv(b)
	d, _ := e.runDaemon(b, b.TempDir())
	n := benchPods()
	ids := make([]string, n)
	for i := range ids {
		p, err := d.Create(context.Background(), testSpec(fmt.Sprintf("scrape-%d", i), newProject(b, shared.ModeRestricted).Workspace, shared.ModeRestricted, "allowed.test"))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = p.ID
	}
	startAll(b, ids, func(ctx context.Context, id string) error {
		_, _, err := d.Start(ctx, id)
		return err
	}, func(id string) error { return d.Delete(context.Background(), id) })
	var up atomic.Int64 // set by the polled condition, read after it
	if !assert.Eventually(b, func() bool {
		fams, _ := scrape(b, d)
		n := 0
		for _, id := range ids {
			if series(fams, "warden_sidecar_up", id) == 1 {
				n++
			}
		}
		up.Store(int64(n))
		return n == len(ids)
	}, 2*time.Minute, 200*time.Millisecond) {
		b.Fatalf("%d of %d sidecars up after 2 minutes; every sidecar must report for the figure to mean anything", up.Load(), n)
	}
	var samples []float64
	for range 50 {
		_, took := scrape(b, d)
		samples = append(samples, benchfig.MS(took))
	}
	p50, p99 := benchfig.Percentile(samples, 50), benchfig.Percentile(samples, 99)
	b.ReportMetric(p50, "scrape_p50_ms")
	b.ReportMetric(p99, "scrape_p99_ms")
	benchfig.Write(b, []benchfig.Figure{
		{Name: fmt.Sprintf("k8s_metrics_scrape_ms_%d", n), Value: benchfig.Round2(p50), Unit: "ms"},
		{Name: fmt.Sprintf("k8s_metrics_scrape_p99_ms_%d", n), Value: benchfig.Round2(p99), Unit: "ms"},
	})
}
