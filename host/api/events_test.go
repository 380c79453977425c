package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/shared"
)

func testEvent(sec int, name string) shared.Event {
	return shared.Event{Time: time.Date(2025, 3, 1, 12, 0, sec, 0, time.UTC), Kind: shared.EventDNSRefused, Name: name, Protocol: "udp"}
}

func TestEventsList(t *testing.T) {
	svc := newFakeService()
	svc.events = []shared.Event{testEvent(1, "a.example")}
	h := newTestServer(t, svc)

	rec := do(t, h, request{method: "GET", path: "/api/v1/projects/web/events?limit=5"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, 5, svc.limit)
	var evs []shared.Event
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &evs))
	require.Equal(t, svc.events, evs)

	rec = do(t, h, request{method: "GET", path: "/api/v1/projects/web/events"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, defaultEventLimit, svc.limit)

	svc.events = nil
	rec = do(t, h, request{method: "GET", path: "/api/v1/projects/web/events"})
	require.JSONEq(t, `[]`, rec.Body.String())
}

func TestEventsQueryRefusals(t *testing.T) {
	for _, tt := range []struct{ query, field string }{
		{"limit=-1", "limit"},
		{"limit=ten", "limit"},
		{"limit=1e9", "limit"},
		{"follow=yes", "follow"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), request{method: "GET", path: "/api/v1/projects/web/events?" + tt.query})
			require.Equal(t, http.StatusBadRequest, rec.Code)
			e := errorBody(t, rec)
			require.Equal(t, tt.field, e.Field)
			require.NotEmpty(t, e.Value)
			require.Contains(t, e.Message, e.Value)
			require.Zero(t, svc.calls.Load())
		})
	}
}

func TestEventsFollowStreamsNDJSON(t *testing.T) {
	svc := newFakeService()
	svc.events = []shared.Event{testEvent(1, "old.example")}
	svc.live = make(chan shared.Event)
	srv := httptest.NewServer(newTestServer(t, svc))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/projects/web/events?follow=1&limit=0", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))

	lines := bufio.NewScanner(resp.Body)
	next := func() shared.Event {
		t.Helper()
		require.True(t, lines.Scan(), "a line arrives: %v", lines.Err())
		var e shared.Event
		require.NoError(t, json.Unmarshal(lines.Bytes(), &e))
		return e
	}
	require.Equal(t, "old.example", next().Name)
	svc.live <- testEvent(2, "live.example")
	require.Equal(t, "live.example", next().Name, "a live event is flushed at once")
	svc.mu.Lock()
	require.Equal(t, "web", svc.ref)
	svc.mu.Unlock()
}

func TestEventsFollowUnknownProject(t *testing.T) {
	svc := newFakeService()
	svc.err = daemon.ErrNotFound
	rec := do(t, newTestServer(t, svc), request{method: "GET", path: "/api/v1/projects/nope/events?follow=1"})
	require.Equal(t, http.StatusNotFound, rec.Code)
	errorBody(t, rec)
}
