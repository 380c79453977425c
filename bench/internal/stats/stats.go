// Package stats summarises latency samples for the benchmark programs, so
// every figure in bench/results.json is computed the same way: nearest-rank
// quantiles over all samples, reported in milliseconds with microsecond
// resolution.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary is the distribution of one set of samples.
type Summary struct {
	N      int     `json:"n"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	P999Ms float64 `json:"p999Ms"`
	MaxMs  float64 `json:"maxMs"`
	MeanMs float64 `json:"meanMs"`
}

// Summarize sorts d and summarises it. An empty d gives a zero Summary.
func Summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Summary{
		N:      len(d),
		P50Ms:  Ms(Quantile(d, 0.5)),
		P90Ms:  Ms(Quantile(d, 0.9)),
		P99Ms:  Ms(Quantile(d, 0.99)),
		P999Ms: Ms(Quantile(d, 0.999)),
		MaxMs:  Ms(d[len(d)-1]),
		MeanMs: Ms(sum / time.Duration(len(d))),
	}
}

// Quantile is the nearest-rank q-quantile of sorted samples.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Ms is d in milliseconds, rounded to the microsecond.
func Ms(d time.Duration) float64 {
	return math.Round(float64(d.Nanoseconds())/1e3) / 1e3
}
