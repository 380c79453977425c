package control

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/events"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness is a server on a socket in a temporary folder.
type harness struct {
	path   string
	eng    *fakeEngine
	events *events.Log
	client *Client
	raw    *http.Client
	stop   context.CancelFunc
	served chan error
}

func start(t *testing.T, eng *fakeEngine) *harness {
	t.Helper()
	h := &harness{
		path:   filepath.Join(t.TempDir(), "run", "control.sock"),
		eng:    eng,
		events: events.New(100),
		served: make(chan error, 1),
	}
	ln, err := Listen(h.path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.served <- NewServer(eng, h.events, discard()).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.served:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	h.client = NewClient(h.path)
	h.raw = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", h.path)
		},
	}}
	return h
}

// do sends a raw request and returns the status, headers and body.
func (h *harness) do(t *testing.T, method, route, body string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://sidecar"+route, r)
	require.NoError(t, err)
	resp, err := h.raw.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// errorText decodes an {"error": ...} body.
func errorText(t *testing.T, body string) string {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal([]byte(body), &e), "body %q", body)
	require.NotEmpty(t, e.Error)
	return e.Error
}

func TestHealthz(t *testing.T) {
	h := start(t, &fakeEngine{})
	code, _, body := h.do(t, http.MethodGet, "/healthz", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok", body)
	require.NoError(t, h.client.Healthz(context.Background()))
}

func TestStatus(t *testing.T) {
	started := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	want := shared.Status{
		Version: "test", Ready: true, Mode: shared.ModeRestricted, Domains: []string{"github.com"},
		StartedAt: started, UptimeSeconds: 12.5,
		Sets:     []shared.SetStatus{{Name: "warden4", Family: "inet", Entries: 3, Max: 65536}},
		DNS:      shared.DNSCounters{Allowed: 4, Refused: 2},
		Problems: []string{"address set warden6 is full"},
	}
	h := start(t, &fakeEngine{status: want})

	code, hdr, body := h.do(t, http.MethodGet, "/v1/status", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", hdr.Get("Content-Type"))
	require.Contains(t, body, `"mode":"restricted"`)

	got, err := h.client.Status(context.Background())
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestPutPolicy(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode int
		want     shared.ValidPolicy // applied, when wantCode is 200
		wantErr  string             // part of the error, otherwise
	}{
		{
			name:     "restricted, canonicalised",
			body:     `{"mode":"restricted","domains":["GitHub.com.","*.npmjs.org","github.com"]}`,
			wantCode: http.StatusOK,
			want:     shared.ValidPolicy{Mode: shared.ModeRestricted, Domains: []shared.Domain{"github.com", "npmjs.org"}, HostAccess: shared.HostAll},
		},
		{
			name:     "none without domains",
			body:     `{"mode":"none"}`,
			wantCode: http.StatusOK,
			want:     shared.ValidPolicy{Mode: shared.ModeNone, Domains: []shared.Domain{}, HostAccess: shared.HostAll},
		},
		{
			name:     "trailing whitespace is fine",
			body:     "{\"mode\":\"full\",\"domains\":[]}\n\n",
			wantCode: http.StatusOK,
			want:     shared.ValidPolicy{Mode: shared.ModeFull, Domains: []shared.Domain{}, HostAccess: shared.HostAll},
		},
		{
			name: "bad entry among good ones is named", wantCode: http.StatusBadRequest,
			body:    `{"mode":"restricted","domains":["github.com","https://evil.example/x","npmjs.org"]}`,
			wantErr: `invalid domain entry "https://evil.example/x": looks like a URL`,
		},
		{
			name: "public suffix", wantCode: http.StatusBadRequest,
			body:    `{"mode":"restricted","domains":["co.uk"]}`,
			wantErr: `"co.uk": is a public suffix`,
		},
		{
			name: "unknown mode", wantCode: http.StatusBadRequest,
			body:    `{"mode":"open","domains":[]}`,
			wantErr: `unknown network mode "open"; expect full, restricted or none`,
		},
		{
			name: "missing mode", wantCode: http.StatusBadRequest,
			body:    `{"domains":["github.com"]}`,
			wantErr: `unknown network mode ""`,
		},
		{
			name: "unknown field", wantCode: http.StatusBadRequest,
			body:    `{"mode":"full","domains":[],"allowAll":true}`,
			wantErr: `unknown field "allowAll"`,
		},
		{
			name: "wrong type", wantCode: http.StatusBadRequest,
			body:    `{"mode":"restricted","domains":"github.com"}`,
			wantErr: `reading policy body`,
		},
		{
			name: "second object", wantCode: http.StatusBadRequest,
			body:    `{"mode":"full"}{"mode":"none"}`,
			wantErr: `data after the JSON object`,
		},
		{
			name: "trailing garbage", wantCode: http.StatusBadRequest,
			body:    `{"mode":"full"} }`,
			wantErr: `reading policy body`,
		},
		{name: "empty body", wantCode: http.StatusBadRequest, body: "", wantErr: "policy body is empty"},
		{name: "not JSON", wantCode: http.StatusBadRequest, body: "mode=full", wantErr: "reading policy body"},
		{name: "array", wantCode: http.StatusBadRequest, body: `["github.com"]`, wantErr: "reading policy body"},
		{name: "null", wantCode: http.StatusBadRequest, body: `null`, wantErr: "unknown network mode"},
		{
			name: "oversize", wantCode: http.StatusRequestEntityTooLarge,
			body:    `{"mode":"restricted","domains":["` + strings.Repeat("a", MaxPolicyBytes) + `.com"]}`,
			wantErr: "policy body is larger than 1048576 bytes",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, &fakeEngine{})
			code, _, body := h.do(t, http.MethodPut, "/v1/policy", tc.body)
			require.Equal(t, tc.wantCode, code, "body: %s", body)
			if tc.wantCode != http.StatusOK {
				require.Contains(t, errorText(t, body), tc.wantErr)
				require.Empty(t, h.eng.appliedPolicies(), "nothing is applied on a refusal")
				return
			}
			require.Equal(t, []shared.ValidPolicy{tc.want}, h.eng.appliedPolicies())
			var res shared.ApplyResult
			require.NoError(t, json.Unmarshal([]byte(body), &res))
			require.Equal(t, tc.want.Mode, res.Mode)
		})
	}
}

func TestPutPolicyApplyFailure(t *testing.T) {
	h := start(t, &fakeEngine{applyErr: errors.New("iptables-restore: exit status 1")})
	code, _, body := h.do(t, http.MethodPut, "/v1/policy", `{"mode":"none"}`)
	require.Equal(t, http.StatusInternalServerError, code)
	require.Equal(t, "applying policy none (0 domains): iptables-restore: exit status 1", errorText(t, body))
}

func TestApplyOutlivesCallerAndRunsAlone(t *testing.T) {
	hold := make(chan struct{})
	eng := &fakeEngine{hold: hold}
	h := start(t, eng)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := h.client.PutPolicy(ctx, shared.Policy{Mode: shared.ModeNone})
	require.ErrorIs(t, err, context.DeadlineExceeded)

	second := make(chan error, 1)
	go func() {
		_, err := h.client.PutPolicy(context.Background(), shared.Policy{Mode: shared.ModeFull})
		second <- err
	}()
	time.Sleep(50 * time.Millisecond)
	close(hold)
	require.NoError(t, <-second)

	eng.mu.Lock()
	defer eng.mu.Unlock()
	require.Equal(t, []error{nil, nil}, eng.ctxErrs, "the apply context is not cancelled when the caller gives up")
	require.False(t, eng.overlap, "applies run one at a time")
	require.Len(t, eng.applied, 2)
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, route, allow string
	}{
		{http.MethodPost, "/healthz", "GET"},
		{http.MethodDelete, "/v1/status", "GET"},
		{http.MethodGet, "/v1/policy", "PUT"},
		{http.MethodPost, "/v1/policy", "PUT"},
		{http.MethodPut, "/v1/events", "GET"},
	}
	h := start(t, &fakeEngine{})
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.route, func(t *testing.T) {
			code, hdr, body := h.do(t, tc.method, tc.route, `{"mode":"full"}`)
			require.Equal(t, http.StatusMethodNotAllowed, code)
			require.Equal(t, tc.allow, hdr.Get("Allow"))
			require.Contains(t, errorText(t, body), "method "+tc.method+" not allowed")
		})
	}
	require.Empty(t, h.eng.appliedPolicies())
}

func TestNotFound(t *testing.T) {
	h := start(t, &fakeEngine{})
	code, _, body := h.do(t, http.MethodGet, "/v1/nope", "")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, errorText(t, body), "no such route /v1/nope")
}

func rejectedEvent(i int) shared.Event {
	return shared.Event{
		Time: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC), Kind: shared.EventConnRejected,
		Address: "192.0.2.99", Port: 1000 + i, Protocol: "tcp",
	}
}

func TestEventsList(t *testing.T) {
	h := start(t, &fakeEngine{})
	for i := 1; i <= 5; i++ {
		h.events.Record(rejectedEvent(i))
	}
	tests := []struct {
		name     string
		route    string
		wantCode int
		want     []shared.Event
		wantErr  string
	}{
		{name: "all", route: "/v1/events", wantCode: 200, want: []shared.Event{rejectedEvent(1), rejectedEvent(2), rejectedEvent(3), rejectedEvent(4), rejectedEvent(5)}},
		{name: "limit", route: "/v1/events?limit=2", wantCode: 200, want: []shared.Event{rejectedEvent(4), rejectedEvent(5)}},
		{name: "follow=0 is a list", route: "/v1/events?follow=0&limit=1", wantCode: 200, want: []shared.Event{rejectedEvent(5)}},
		{name: "zero limit", route: "/v1/events?limit=0", wantCode: 400, wantErr: `limit "0" is not a positive whole number`},
		{name: "word limit", route: "/v1/events?limit=ten", wantCode: 400, wantErr: `limit "ten"`},
		{name: "bad follow", route: "/v1/events?follow=yes", wantCode: 400, wantErr: `follow "yes" is not a boolean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := h.do(t, http.MethodGet, tc.route, "")
			require.Equal(t, tc.wantCode, code, body)
			if tc.wantCode != 200 {
				require.Contains(t, errorText(t, body), tc.wantErr)
				return
			}
			var got []shared.Event
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			require.Equal(t, tc.want, got)
		})
	}

	got, err := h.client.Events(context.Background(), 3)
	require.NoError(t, err)
	require.Equal(t, []shared.Event{rejectedEvent(3), rejectedEvent(4), rejectedEvent(5)}, got)
}

func TestEventsListEmptyIsAList(t *testing.T) {
	h := start(t, &fakeEngine{})
	code, _, body := h.do(t, http.MethodGet, "/v1/events", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "[]\n", body)
}

func TestFollowBacklogThenLiveUntilCancel(t *testing.T) {
	h := start(t, &fakeEngine{})
	h.events.Record(rejectedEvent(1))
	h.events.Record(rejectedEvent(2))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan shared.Event, 10)
	done := make(chan error, 1)
	go func() { done <- h.client.Follow(ctx, func(e shared.Event) { got <- e }) }()

	next := func() shared.Event {
		t.Helper()
		select {
		case e := <-got:
			return e
		case err := <-done:
			t.Fatalf("Follow returned: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return shared.Event{}
	}
	require.Equal(t, rejectedEvent(1), next())
	require.Equal(t, rejectedEvent(2), next())
	require.Equal(t, 1, h.events.Subscribers())

	live := shared.Event{Time: time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC), Kind: shared.EventDNSRefused, Name: "evil.example", QType: "A", Protocol: "udp"}
	h.events.Record(live)
	require.Equal(t, live, next())

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "Follow returns nil when its context ends")
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
	require.Eventually(t, func() bool { return h.events.Subscribers() == 0 }, 5*time.Second, 10*time.Millisecond,
		"the server ends the stream when the client goes away")
}

func TestFollowWireFormat(t *testing.T) {
	h := start(t, &fakeEngine{})
	for i := 1; i <= 3; i++ {
		h.events.Record(rejectedEvent(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://sidecar/v1/events?follow=1&limit=2", nil)
	require.NoError(t, err)
	resp, err := h.raw.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/x-ndjson", resp.Header.Get("Content-Type"))

	h.events.Record(rejectedEvent(4))
	buf := make([]byte, 0, 4096)
	for strings.Count(string(buf), "\n") < 3 {
		chunk := make([]byte, 1024)
		n, err := resp.Body.Read(chunk)
		require.NoError(t, err)
		buf = append(buf, chunk[:n]...)
	}
	lines := strings.Split(strings.TrimSuffix(string(buf), "\n"), "\n")
	require.Len(t, lines, 3, "the backlog is limited to 2, then the live event")
	for i, line := range lines {
		var e shared.Event
		require.NoError(t, json.Unmarshal([]byte(line), &e))
		require.Equal(t, rejectedEvent(i+2), e)
	}
}

func TestServeShutdownEndsFollow(t *testing.T) {
	h := start(t, &fakeEngine{})
	done := make(chan error, 1)
	go func() { done <- h.client.Follow(context.Background(), func(shared.Event) {}) }()
	require.Eventually(t, func() bool { return h.events.Subscribers() == 1 }, 5*time.Second, 10*time.Millisecond)

	h.stop()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrStreamEnded)
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not end when the server stopped")
	}
	select {
	case err := <-h.served:
		require.NoError(t, err)
		h.served <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	require.NoFileExists(t, h.path, "closing the listener removes the socket")
}
