package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warden-sh/warden/test/benchfig"
)

// The host benchmarks run with `make bench` (go test -bench), never with
// `make test`. Each writes its figures to $WARDEN_BENCH_OUT (a JSON list in
// bench/results.json's shape) when that is set.

// BenchmarkDockerEditEnforce measures the time from a domain edit on the
// CLI to a probe inside the agent seeing it, with 1, 10 and 50 projects
// running, and the memory of the daemon and the sidecars at 50.
func BenchmarkDockerEditEnforce(b *testing.B) {
	w := newWorld(b)
	var figs []benchfig.Figure
	var ids []string
	for _, n := range []int{1, 10, 50} {
		ids = append(ids, w.startProjects(n-len(ids))...)
		var samples []float64
		for round := 0; round < 20; round++ {
			id := ids[round%len(ids)]
			samples = append(samples, w.timeEdit(id, "add", "ok"), w.timeEdit(id, "rm", "refused"))
		}
		figs = append(figs,
			benchfig.Figure{Name: fmt.Sprintf("edit_enforce_p50_ms_%d", n), Value: benchfig.Round2(benchfig.Percentile(samples, 50)), Unit: "ms"},
			benchfig.Figure{Name: fmt.Sprintf("edit_enforce_p99_ms_%d", n), Value: benchfig.Round2(benchfig.Percentile(samples, 99)), Unit: "ms"})
		b.ReportMetric(benchfig.Percentile(samples, 50), fmt.Sprintf("p50_ms_%d", n))
		b.ReportMetric(benchfig.Percentile(samples, 99), fmt.Sprintf("p99_ms_%d", n))
	}
	figs = append(figs,
		benchfig.Figure{Name: "daemon_rss_mb_50", Value: benchfig.Round2(rssMB(w.daemon.Process.Pid)), Unit: "MB"},
		benchfig.Figure{Name: "sidecar_rss_mb_50", Value: benchfig.Round2(w.meanSidecarRSS(ids)), Unit: "MB"})
	benchfig.Write(b, figs)
}

// BenchmarkDockerProjectStart compares starting a project (sidecar, ready,
// then agent) with a plain `docker run` of the same agent image.
func BenchmarkDockerProjectStart(b *testing.B) {
	w := newWorld(b)
	var warden, plain []float64
	for i := 0; i < 7; i++ {
		ws := ownedWorkspace(b)
		id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ws, "--image", agentImage, "--mode", "restricted", "--domain", "github.com"))
		start := time.Now()
		w.mustCLI("project", "start", id)
		warden = append(warden, benchfig.MS(time.Since(start)))

		name := fmt.Sprintf("%s-plain-%d", w.name, i)
		start = time.Now()
		w.docker("run", "-d", "--name", name, "--network", w.network, agentImage)
		plain = append(plain, benchfig.MS(time.Since(start)))
		w.docker("rm", "-f", name)
		w.mustCLI("project", "rm", id)
	}
	peer := benchfig.Round2(benchfig.Percentile(plain, 50))
	benchfig.Write(b, []benchfig.Figure{{Name: "project_start_ms", Value: benchfig.Round2(benchfig.Percentile(warden, 50)), Unit: "ms", Peer: "docker-run", PeerValue: &peer}})
	b.ReportMetric(benchfig.Percentile(warden, 50), "warden_ms")
	b.ReportMetric(peer, "docker_run_ms")
}

// startProjects creates and starts n projects at once.
func (w *world) startProjects(n int) []string {
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ids[i] = w.createProject("restricted", "github.com")
		}()
	}
	wg.Wait()
	return ids
}

// timeEdit adds or removes other.example.org and returns the milliseconds
// until a probe in the agent sees the answer turn to want.
func (w *world) timeEdit(id, verb, want string) float64 {
	w.t.Helper()
	cmd := exec.Command("docker", "exec", "warden-"+id+"-agent", "probe", "watch", "other.example.org", "-until", want, "-interval", "1ms")
	out, err := cmd.StdoutPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	rd := bufio.NewReader(out)
	if line, err := rd.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		w.t.Fatalf("probe watch did not start: %q %v", line, err)
	}
	start := time.Now()
	w.mustCLI("domains", verb, id, "other.example.org")
	line, _ := rd.ReadString('\n')
	_ = cmd.Wait()
	var r probeResult
	var at struct {
		At int64 `json:"at"`
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil || !r.OK || json.Unmarshal([]byte(line), &at) != nil {
		w.t.Fatalf("probe watch: %q", line)
	}
	return float64(at.At-start.UnixNano()) / 1e6
}

func (w *world) meanSidecarRSS(ids []string) float64 {
	var sum float64
	for _, id := range ids {
		pid, err := strconv.Atoi(w.docker("inspect", "--format", "{{.State.Pid}}", "warden-"+id+"-sidecar"))
		if err != nil {
			w.t.Fatal(err)
		}
		sum += rssMB(pid)
	}
	return sum / float64(len(ids))
}

// rssMB reads a process's resident memory.
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
