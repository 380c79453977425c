package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func (f *fakeService) Audit(ctx context.Context, ref string, q daemon.AuditQuery) (daemon.AuditPage, error) {
	f.seen(ref)
	f.mu.Lock()
	f.audit = q
	f.mu.Unlock()
	if f.err != nil {
		return daemon.AuditPage{}, f.err
	}
	return daemon.AuditPage{Project: f.project.ID, Records: []daemon.AuditRecord{{Seq: q.After + 1, Project: f.project.ID,
		Event: shared.Event{Kind: shared.EventDNSRefused, Name: "blocked.example", QType: "A", Protocol: "udp"}}}, Next: q.After + 1}, nil
}

func (f *fakeService) FollowAudit(ctx context.Context, ref string, q daemon.AuditQuery, fn func(daemon.AuditRecord)) error {
	page, err := f.Audit(ctx, ref, q)
	if err != nil {
		return err
	}
	for _, r := range page.Records {
		fn(r)
	}
	return nil
}

func TestAuditQuery(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		query   string
		want    daemon.AuditQuery
		wantBad string
	}{
		{query: "", want: daemon.AuditQuery{}},
		{query: "since=1h&after=42&limit=10", want: daemon.AuditQuery{Since: now.Add(-time.Hour), After: 42, Limit: 10}},
		{query: "since=2026-12-03T10:00:00Z", want: daemon.AuditQuery{Since: now.Add(-2 * time.Hour)}},
		{query: "since=-1h", wantBad: "since"},
		{query: "since=yesterday", wantBad: "since"},
		{query: "after=-1", wantBad: "after"},
		{query: "limit=0", wantBad: "limit"},
		{query: "limit=1001", wantBad: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r, err := http.NewRequest("GET", "/x?"+tt.query, nil)
			require.NoError(t, err)
			q, e := parseAuditQuery(r, now)
			if tt.wantBad != "" {
				require.NotNil(t, e)
				require.Equal(t, tt.wantBad, e.Field)
				require.Contains(t, e.Message, r.URL.Query().Get(tt.wantBad), "the error names the bad value")
				return
			}
			require.Nil(t, e)
			require.True(t, tt.want.Since.Equal(q.Since), "since %v, want %v", q.Since, tt.want.Since)
			q.Since, tt.want.Since = time.Time{}, time.Time{}
			require.Equal(t, tt.want, q)
		})
	}
}

func TestAuditRoute(t *testing.T) {
	svc := newFakeService()
	h := newTestServer(t, svc)

	rec := do(t, h, request{method: "GET", path: Prefix + "/projects/web/audit?after=4&limit=5"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var page daemon.AuditPage
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	require.Equal(t, uint64(5), page.Next)
	require.Equal(t, daemon.AuditQuery{After: 4, Limit: 5}, svc.audit)

	rec = do(t, h, request{method: "GET", path: Prefix + "/projects/web/audit?since=soon"})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "since", errorBody(t, rec).Field)

	rec = do(t, h, request{method: "GET", path: Prefix + "/projects/web/audit?follow=1"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/x-ndjson", rec.Header().Get("Content-Type"))
	var r daemon.AuditRecord
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r))
	require.Equal(t, "blocked.example", r.Name)

	rec = do(t, h, request{method: "GET", path: Prefix + "/schema/audit-record.json"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "schema+json")
	require.True(t, json.Valid(rec.Body.Bytes()))
}

func (f *fakeService) Suggestions(ctx context.Context, ref string) ([]daemon.Suggestion, error) {
	f.seen(ref)
	return []daemon.Suggestion{{Entry: "example.com", Count: 1}}, f.err
}

func (f *fakeService) DryRunUpdate(ctx context.Context, ref string, patch project.Patch) (daemon.DryRun, error) {
	f.seen(ref)
	f.mu.Lock()
	f.patch = patch
	f.mu.Unlock()
	return daemon.DryRun{DryRun: true, Project: f.project, WouldRefuse: []daemon.AuditRecord{}}, f.err
}

func TestPatchDryRun(t *testing.T) {
	svc := newFakeService()
	h := newTestServer(t, svc)
	rec := do(t, h, request{method: "PATCH", path: Prefix + "/projects/web?dryRun=1", body: `{"removeDomains":["github.com"]}`})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var dr daemon.DryRun
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &dr))
	require.True(t, dr.DryRun)
	require.Equal(t, []string{"github.com"}, svc.patch.RemoveDomains)

	rec = do(t, h, request{method: "PATCH", path: Prefix + "/projects/web?dryRun=maybe", body: `{"removeDomains":["github.com"]}`})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "dryRun", errorBody(t, rec).Field)
}
