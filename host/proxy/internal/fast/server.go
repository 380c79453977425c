package fast

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
)

// Router is what the fast paths ask of the proxy that decides.
type Router interface {
	// Admit runs every check on a plain request read from a browser and
	// returns the dev server it goes to (a key of Transport's); false
	// leaves it to the HTTP server, which answers it or writes the refusal.
	// memoryOnly: an event loop asks, which must never wait; false when
	// memory holds nothing fresh.
	Admit(req *http.Request, memoryOnly bool) (key string, ok bool)
	// Prepare readies the header of the dev server's answer to req, of
	// status code, for the browser, at the time of the answer; with
	// memoryOnly, false when memory holds nothing fresh (a goroutine then
	// asks).
	Prepare(req *http.Request, code int, hdr http.Header, memoryOnly bool) bool
	// Failed writes the proxy's page for an exchange that failed.
	Failed(w http.ResponseWriter, req *http.Request, err error)
}

// Server runs the fast paths in front of an HTTP server (Intercept).
type Server struct {
	router Router
	tr     *Transport
	log    *slog.Logger
	// loops: event loops may carry connections (the router answers from
	// memory).
	loops     bool
	conns     fastConns
	loopSet   loopSet
	fastCount atomic.Int64 // answered on the fast paths, loops included
	loopCount atomic.Int64 // answered in a loop
	// AdoptHook, when set (by tests), sees each browser connection an
	// event loop takes.
	AdoptHook func(fd int)
	// BlindWaits, set by tests only, turns off the watch for a browser
	// that leaves while an answer is awaited (waiter.slow).
	BlindWaits bool
	// ctx is the requests' context; Close ends it.
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns the fast paths over router, sending requests through tr;
// loops lets event loops carry kept connections.
func New(router Router, tr *Transport, loops bool, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{router: router, tr: tr, log: log, loops: loops}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Served returns how many requests the fast path answered on
// connections' goroutines, and how many the event loops answered.
func (s *Server) Served() (fastPath, eventLoop int64) {
	loop := s.loopCount.Load()
	return s.fastCount.Load() - loop, loop
}

// Close ends the connections on the fast paths with their requests; the
// HTTP server's are its own.
func (s *Server) Close() {
	s.cancel()
	s.conns.closeAll()
	s.closeLoops()
}
