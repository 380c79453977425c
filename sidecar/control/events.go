package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-sh/warden/shared"
)

const (
	// followBuffer is how many live events a follow stream may lag behind
	// before it starts missing some.
	followBuffer = 256
	// followWriteTimeout bounds one write to a follow stream, so a client
	// that stops reading is dropped instead of holding a goroutine forever.
	followWriteTimeout = 10 * time.Second
)

// listEvents answers GET /v1/events: the recent events as a JSON list, or a
// follow stream when follow is true.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a positive whole number", v))
			return
		}
		limit = n
	}
	follow := false
	if v := q.Get("follow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("follow %q is not a boolean; expect 1 or 0", v))
			return
		}
		follow = b
	}
	if follow {
		s.follow(w, r, limit)
		return
	}
	writeJSON(w, http.StatusOK, s.events.Recent(limit))
}

// follow streams the backlog and then live events as newline-delimited
// JSON, flushing after each batch of waiting events, until the client goes away or the server
// shuts down.
func (s *Server) follow(w http.ResponseWriter, r *http.Request, limit int) {
	backlog, live, cancel := s.events.SubscribeRecent(limit, followBuffer)
	defer cancel()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	write := func(e shared.Event) error {
		if err := rc.SetWriteDeadline(time.Now().Add(followWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return enc.Encode(e)
	}
	for _, e := range backlog {
		if err := write(e); err != nil {
			s.log.Debug("follow stream ended", "error", err)
			return
		}
	}
	if err := rc.Flush(); err != nil {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-live:
			if !ok {
				return
			}
			// Write what else is waiting too, then flush once: under a
			// burst the stream costs one write per batch, not per event.
			err := write(e)
			for more := true; more && err == nil; {
				select {
				case e, ok = <-live:
					if !ok {
						more = false
						break
					}
					err = write(e)
				default:
					more = false
				}
			}
			if err == nil {
				err = rc.Flush()
			}
			if err != nil || !ok {
				if err != nil {
					s.log.Debug("follow stream ended", "error", err)
				}
				return
			}
		}
	}
}
