package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
	"github.com/warden-sh/warden/shared"
)

type fakeSampler struct {
	samples []daemon.ProjectSample
	err     error
}

func (f *fakeSampler) Sample(context.Context) ([]daemon.ProjectSample, error) {
	return f.samples, f.err
}

func scrape(t *testing.T, c *Collector) Families {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler(c).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	fams, err := Parse(rec.Body)
	require.NoError(t, err)
	return fams
}

func TestCollectorSeries(t *testing.T) {
	src := &fakeSampler{samples: []daemon.ProjectSample{{
		ID: "a1b2c3d4e5f6", Name: "web", Mode: shared.ModeRestricted, Running: true, AuditDropped: 4,
		Sidecar: &shared.Status{
			Ready:  true,
			DNS:    shared.DNSCounters{Allowed: 10, Refused: 3, FirstContactsDeferred: 8},
			Egress: shared.EgressCounters{Refused: 2},
			Events: shared.EventCounters{ConnRejected: 5, HostPortRejected: 1, DNSFirstContacts: 6, ConnFirstContacts: 1},
		},
	}, {
		ID: "0123456789ab", Name: "down", Mode: shared.ModeNone, Running: true,
	}, {
		ID: "ba9876543210", Name: "stopped", Mode: shared.ModeFull,
	}}}
	c := New(src, slog.New(slog.DiscardHandler))
	c.ObserveApply("a1b2c3d4e5f6", 3*time.Millisecond)
	c.ObserveApply("a1b2c3d4e5f6", 30*time.Millisecond)
	fams := scrape(t, c)

	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"warden_project_info", map[string]string{"project": "a1b2c3d4e5f6", "name": "web", "mode": "restricted"}, 1},
		{"warden_sidecar_up", map[string]string{"project": "a1b2c3d4e5f6"}, 1},
		{"warden_sidecar_ready", map[string]string{"project": "a1b2c3d4e5f6"}, 1},
		{"warden_dns_queries_total", map[string]string{"project": "a1b2c3d4e5f6", "decision": "allowed"}, 10},
		{"warden_dns_queries_total", map[string]string{"project": "a1b2c3d4e5f6", "decision": "refused"}, 3},
		{"warden_connections_refused_total", map[string]string{"project": "a1b2c3d4e5f6", "reason": "address"}, 5},
		{"warden_connections_refused_total", map[string]string{"project": "a1b2c3d4e5f6", "reason": "name"}, 2},
		{"warden_connections_refused_total", map[string]string{"project": "a1b2c3d4e5f6", "reason": "host_port"}, 1},
		{"warden_names_first_contact_total", map[string]string{"project": "a1b2c3d4e5f6"}, 7},
		{"warden_names_first_contact_deferred_total", map[string]string{"project": "a1b2c3d4e5f6"}, 8},
		{"warden_audit_records_dropped_total", map[string]string{"project": "a1b2c3d4e5f6"}, 4},
		{"warden_policy_apply_duration_seconds", map[string]string{"project": "a1b2c3d4e5f6"}, 2},
		{"warden_sidecar_up", map[string]string{"project": "0123456789ab"}, 0},
		{"warden_sidecar_ready", map[string]string{"project": "0123456789ab"}, 0},
		{"warden_project_info", map[string]string{"project": "ba9876543210", "mode": "full"}, 1},
	}
	for _, tt := range tests {
		got, ok := fams.Value(tt.name, tt.labels)
		require.True(t, ok, "%s%v missing", tt.name, tt.labels)
		require.Equal(t, tt.want, got, "%s%v", tt.name, tt.labels)
	}
	_, ok := fams.Value("warden_sidecar_up", map[string]string{"project": "ba9876543210"})
	require.False(t, ok, "a stopped project's sidecar is not expected up")
	_, ok = fams.Value("warden_dns_queries_total", map[string]string{"project": "0123456789ab"})
	require.False(t, ok, "no counters for a sidecar that did not answer")
	require.Equal(t, "COUNTER", fams["warden_dns_queries_total"].GetType().String())
	require.Equal(t, "HISTOGRAM", fams["warden_policy_apply_duration_seconds"].GetType().String())
	require.Contains(t, fams, "go_goroutines")
}

func TestCollectorCountsFailedScrapes(t *testing.T) {
	c := New(&fakeSampler{err: errors.New("store closed")}, slog.New(slog.DiscardHandler))
	scrape(t, c)
	fams := scrape(t, c)
	v, ok := fams.Value("warden_scrape_errors_total", nil)
	require.True(t, ok)
	require.Equal(t, 2.0, v)
}

func TestCollectorPreviewAnswers(t *testing.T) {
	c := New(&fakeSampler{}, slog.New(slog.DiscardHandler))
	_, ok := scrape(t, c).Value("warden_preview_requests_total", map[string]string{"project": "a1b2c3d4e5f6", "code": "200"})
	require.False(t, ok, "no series before the proxy is counted")
	c.CountPreviews(func() []proxy.AnswerCount {
		return []proxy.AnswerCount{{Project: "a1b2c3d4e5f6", Code: 200, Count: 7}, {Project: "a1b2c3d4e5f6", Code: 502, Count: 1}}
	})
	fams := scrape(t, c)
	v, ok := fams.Value("warden_preview_requests_total", map[string]string{"project": "a1b2c3d4e5f6", "code": "200"})
	require.True(t, ok)
	require.Equal(t, 7.0, v)
	v, ok = fams.Value("warden_preview_requests_total", map[string]string{"project": "a1b2c3d4e5f6", "code": "502"})
	require.True(t, ok)
	require.Equal(t, 1.0, v)
}
