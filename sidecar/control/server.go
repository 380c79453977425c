package control

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/events"
)

// Engine is the part of the sidecar the control API drives.
type Engine interface {
	Status() shared.Status
	// Apply enforces a validated policy. The server calls it one request at
	// a time and with a context that is not cancelled when the caller hangs
	// up, so an apply is never cut short halfway by a client.
	Apply(ctx context.Context, p shared.ValidPolicy) (shared.ApplyResult, error)
}

// Server answers control requests for one sidecar.
type Server struct {
	eng     Engine
	events  *events.Log
	log     *slog.Logger
	ns      Namespace // nil until ServeNamespace
	applyMu sync.Mutex
	mux     *http.ServeMux
}

// NewServer returns a server over eng and the event log ev (not nil).
func NewServer(eng Engine, ev *events.Log, log *slog.Logger) *Server {
	s := &Server{
		eng:    eng,
		events: ev,
		log:    log.With("component", "control"),
		mux:    http.NewServeMux(),
	}
	s.route("/healthz", map[string]http.HandlerFunc{http.MethodGet: s.healthz})
	s.route("/v1/status", map[string]http.HandlerFunc{http.MethodGet: s.status})
	s.route("/v1/policy", map[string]http.HandlerFunc{http.MethodPut: s.putPolicy})
	s.route("/v1/events", map[string]http.HandlerFunc{http.MethodGet: s.listEvents})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such route "+r.URL.Path+"; expect /healthz, /v1/status, /v1/policy, /v1/events, /v1/listening or /v1/relay")
	})
	return s
}

// route registers one handler per method on path and answers every other
// method with 405 and an Allow header.
func (s *Server) route(path string, byMethod map[string]http.HandlerFunc) {
	allowed := make([]string, 0, len(byMethod))
	for method, h := range byMethod {
		s.mux.HandleFunc(method+" "+path, h)
		allowed = append(allowed, method)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	s.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+path+"; expect "+allow)
	})
}

// Handler returns the HTTP handler for all routes.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		s.mux.ServeHTTP(rec, r)
		s.log.Debug("control request", "method", r.Method, "path", r.URL.Path,
			"status", rec.code, "duration", time.Since(start))
	})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.eng.Status()
	st.Events = s.events.Counts()
	writeJSON(w, http.StatusOK, st)
}
