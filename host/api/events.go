package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-sh/warden/shared"
)

const (
	// defaultEventLimit is how many recent events a request gets when it
	// names no limit.
	defaultEventLimit = 100
	// maxEventLimit caps ?limit; the store keeps fewer anyway.
	maxEventLimit = 100000
)

// projectEvents answers GET .../events[?limit=N][&follow=1]: a JSON list of
// recent events, oldest first, or with follow an NDJSON stream (one event
// per line) of the recent events and then each new one, until the client
// leaves.
func (s *server) projectEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, e := parseLimit(q.Get("limit"))
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	follow, e := parseFollow(q.Get("follow"))
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	ref := r.PathValue("id")
	if !follow {
		evs, err := s.svc.Events(r.Context(), ref, limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if evs == nil {
			evs = []shared.Event{}
		}
		writeJSON(w, http.StatusOK, evs)
		return
	}
	// Refuse an unknown project with a proper status before the stream
	// starts.
	if _, err := s.svc.Get(r.Context(), ref); err != nil {
		s.fail(w, r, err)
		return
	}
	s.streamEvents(w, r, ref, limit)
}

func (s *server) streamEvents(w http.ResponseWriter, r *http.Request, ref string, limit int) {
	streamJSON(s, w, r, "event stream", ref, func(ctx context.Context, emit func(shared.Event)) error {
		return s.svc.Follow(ctx, ref, limit, emit)
	})
}

// streamJSON answers with newline-delimited JSON: each value follow emits,
// flushed at once, until the client goes away or follow returns.
func streamJSON[T any](s *server, w http.ResponseWriter, r *http.Request, what, ref string, follow func(ctx context.Context, emit func(T)) error) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	enc := json.NewEncoder(w)
	err := follow(ctx, func(v T) {
		if ctx.Err() != nil {
			return
		}
		if enc.Encode(v) != nil || rc.Flush() != nil {
			cancel()
		}
	})
	if err != nil && ctx.Err() == nil {
		s.log.Warn(what+" ended", "project", ref, "err", err)
	}
}

func parseLimit(v string) (int, *apiError) {
	if v == "" {
		return defaultEventLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxEventLimit {
		return 0, &apiError{
			Field:   "limit",
			Value:   v,
			Message: "limit " + strconv.Quote(v) + " is not a whole number from 0 to " + strconv.Itoa(maxEventLimit) + " (0 means all that is kept)",
		}
	}
	return n, nil
}

func parseFollow(v string) (bool, *apiError) {
	switch v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, &apiError{
		Field:   "follow",
		Value:   v,
		Message: "follow " + strconv.Quote(v) + " is not understood; expect 1, true, 0 or false",
	}
}
