package e2e

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/warden-sh/warden/test/benchfig"

	"github.com/warden-sh/warden/host/metrics"
)

// BenchmarkDockerMetricsScrape times GET /metrics, as Prometheus scrapes it
// (over TCP with the token), with 50 projects running: every scrape asks
// each sidecar for its status.
func BenchmarkDockerMetricsScrape(b *testing.B) {
	w := newWorld(b)
	ids := w.startProjects(50)
	req, err := http.NewRequest(http.MethodGet, "http://"+w.addr+"/metrics", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.token())
	scrape := func() (time.Duration, metrics.Families) {
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("scrape: status %d, %v", resp.StatusCode, err)
		}
		fams, err := metrics.Parse(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		return took, fams
	}
	_, fams := scrape() // the first opens the connections
	for _, id := range ids {
		if v, _ := fams.Value("warden_sidecar_up", map[string]string{"project": id}); v != 1 {
			b.Fatalf("project %s: warden_sidecar_up %v; every sidecar must answer for the figure to mean anything", id, v)
		}
	}
	var samples []float64
	for range 50 {
		took, _ := scrape()
		samples = append(samples, benchfig.MS(took))
	}
	benchfig.Write(b, []benchfig.Figure{
		{Name: "metrics_scrape_ms", Value: benchfig.Round2(benchfig.Percentile(samples, 50)), Unit: "ms"},
		{Name: "metrics_scrape_p99_ms", Value: benchfig.Round2(benchfig.Percentile(samples, 99)), Unit: "ms"},
	})
	b.ReportMetric(benchfig.Percentile(samples, 50), "scrape_p50_ms")
	b.ReportMetric(benchfig.Percentile(samples, 99), "scrape_p99_ms")
}
