package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/warden-sh/warden/host/metrics"
)

// applyObserver is the daemon's hook for policy apply times.
type applyObserver interface {
	ObserveApply(fn func(projectID string, took time.Duration))
}

// metricsHandler serves the daemon's Prometheus series when svc can be
// sampled (the real daemon), and 503 otherwise; the collector is nil then.
func metricsHandler(svc Service, log *slog.Logger) (http.Handler, *metrics.Collector) {
	src, ok := svc.(metrics.Sampler)
	if !ok {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusServiceUnavailable, apiError{Message: "this server has no metrics"})
		}), nil
	}
	c := metrics.New(src, log)
	if o, ok := svc.(applyObserver); ok {
		o.ObserveApply(c.ObserveApply)
	}
	return metrics.Handler(c), c
}
