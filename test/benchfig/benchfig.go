// Package benchfig writes the figures of the Go benchmarks that `make bench`
// runs (test/e2e, test/kube) in bench/results.json's shape: each benchmark
// appends its figures to the JSON list at $WARDEN_BENCH_OUT, which
// bench/run.sh turns into lines for bench/cmd/report.
package benchfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// Figure is one entry of bench/results.json.
type Figure struct {
	Name      string   `json:"name"`
	Value     float64  `json:"value"`
	Unit      string   `json:"unit"`
	Peer      string   `json:"peer,omitempty"`
	PeerValue *float64 `json:"peer_value,omitempty"`
}

// Write appends figs to $WARDEN_BENCH_OUT; without it, it does nothing.
func Write(tb testing.TB, figs []Figure) {
	tb.Helper()
	path := os.Getenv("WARDEN_BENCH_OUT")
	if path == "" {
		return
	}
	var all []Figure
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &all)
	}
	all = append(all, figs...)
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Percentile is the p-th percentile of v (nearest rank below), 0 for none.
func Percentile(v []float64, p float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[int(float64(len(s)-1)*p/100)]
}

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Round2 rounds v to two decimals.
func Round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
