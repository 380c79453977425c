package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/api/schema"
	"github.com/warden-sh/warden/host/daemon"
)

// AuditService is what the audit routes need of the daemon.
type AuditService interface {
	Audit(ctx context.Context, ref string, q daemon.AuditQuery) (daemon.AuditPage, error)
	FollowAudit(ctx context.Context, ref string, q daemon.AuditQuery, fn func(daemon.AuditRecord)) error
}

// projectAudit answers GET .../audit[?since=1h|RFC3339][&after=SEQ][&tail=N][&limit=N][&follow=1]:
// a page of the audit log (daemon.AuditPage), or with follow an NDJSON
// stream of records (one per line) from the query on, until the client
// leaves.
func (s *server) projectAudit(w http.ResponseWriter, r *http.Request) {
	q, e := parseAuditQuery(r, time.Now())
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	follow, e := parseFollow(r.URL.Query().Get("follow"))
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	ref := r.PathValue("id")
	if !follow {
		page, err := s.svc.Audit(r.Context(), ref, q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, page)
		return
	}
	if _, err := s.svc.Get(r.Context(), ref); err != nil {
		s.fail(w, r, err)
		return
	}
	streamJSON(s, w, r, "audit stream", ref, func(ctx context.Context, emit func(daemon.AuditRecord)) error {
		return s.svc.FollowAudit(ctx, ref, q, emit)
	})
}

// auditSchema serves the audit record's JSON Schema.
func (s *server) auditSchema(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/schema+json")
	_, _ = w.Write(schema.AuditRecordJSON)
}

func parseAuditQuery(r *http.Request, now time.Time) (daemon.AuditQuery, *apiError) {
	v := r.URL.Query()
	var q daemon.AuditQuery
	if s := v.Get("since"); s != "" {
		since, err := parseSince(s, now)
		if err != nil {
			return q, &apiError{Field: "since", Value: s,
				Message: "since " + strconv.Quote(s) + " is neither a positive duration (90s, 15m, 1h) nor a time (2006-01-02T15:04:05Z)"}
		}
		q.Since = since
	}
	if s := v.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, &apiError{Field: "after", Value: s, Message: "after " + strconv.Quote(s) + " is not a record's seq (a whole number, 0 or more)"}
		}
		q.After = n
	}
	if s := v.Get("tail"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return q, &apiError{Field: "tail", Value: s, Message: "tail " + strconv.Quote(s) + " is not a whole number from 1 to 1000"}
		}
		q.Tail = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return q, &apiError{Field: "limit", Value: s, Message: "limit " + strconv.Quote(s) + " is not a whole number from 1 to 1000"}
		}
		q.Limit = n
	}
	return q, nil
}

// parseSince reads a duration back from now ("1h") or a point in time
// (RFC 3339).
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 && !strings.HasPrefix(s, "+") {
		return now.Add(-d), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}
