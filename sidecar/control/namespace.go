package control

import (
	"context"
	"net"
	"net/http"

	"github.com/warden-sh/warden/shared"
)

// Namespace is what the preview routes need of the network namespace the
// sidecar guards; sidecar/relay and sidecar/ports provide it.
type Namespace interface {
	// DialLoopback connects to port on the namespace's loopback; errors
	// match relay.ErrNotListening or relay.ErrRefusedPort.
	DialLoopback(ctx context.Context, port int) (net.Conn, error)
	// Listening lists the namespace's listening TCP ports, the sidecar's
	// own left out.
	Listening() ([]shared.ListeningPort, error)
}

// ServeNamespace adds the preview routes, GET /v1/relay and GET
// /v1/listening, answered from ns. Call it before serving.
func (s *Server) ServeNamespace(ns Namespace) *Server {
	s.ns = ns
	s.route("/v1/relay", map[string]http.HandlerFunc{http.MethodGet: s.relay})
	s.route("/v1/listening", map[string]http.HandlerFunc{http.MethodGet: s.listening})
	return s
}

func (s *Server) listening(w http.ResponseWriter, _ *http.Request) {
	ports, err := s.ns.Listening()
	if err != nil {
		s.log.Warn("listing listening ports", "error", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ports)
}
