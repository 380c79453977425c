package control

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/relay"
)

// RelayProtocol is the Upgrade token of a relay request.
const RelayProtocol = "warden-relay"

// relayDialTimeout bounds the sidecar's dial to the loopback port.
const relayDialTimeout = 5 * time.Second

// relay answers GET /v1/relay?port=N with Connection: Upgrade and Upgrade:
// warden-relay. It dials port N on the namespace's loopback and, when that
// works, answers 101 and joins the two connections. Refusals: 400 for a bad
// request, 403 for the sidecar's own ports, 502 when nothing listens.
func (s *Server) relay(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("port")
	port, err := shared.ParsePort(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "relay: "+err.Error())
		return
	}
	if !upgradeTo(r, RelayProtocol) {
		writeError(w, http.StatusBadRequest, "relay: expect the headers Connection: Upgrade and Upgrade: "+RelayProtocol)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), relayDialTimeout)
	backend, err := s.ns.DialLoopback(ctx, port)
	cancel()
	switch {
	case errors.Is(err, relay.ErrRefusedPort):
		writeError(w, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, relay.ErrNotListening):
		writeError(w, http.StatusBadGateway, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusGatewayTimeout, err.Error())
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		backend.Close()
		writeError(w, http.StatusInternalServerError, "relay: taking over the connection: "+err.Error())
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + RelayProtocol + "\r\n\r\n")); err != nil {
		conn.Close()
		backend.Close()
		return
	}
	// Bytes the client sent early are already in the server's buffer.
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		if _, err := backend.Write(early); err != nil {
			conn.Close()
			backend.Close()
			return
		}
	}
	s.log.Debug("relay opened", "port", port)
	go relay.Join(conn, backend)
}

// upgradeTo reports whether r asks to switch to protocol.
func upgradeTo(r *http.Request, protocol string) bool {
	hasUpgrade := false
	for _, v := range r.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				hasUpgrade = true
			}
		}
	}
	return hasUpgrade && strings.EqualFold(r.Header.Get("Upgrade"), protocol)
}
