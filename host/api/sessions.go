package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/termsession"
)

const sessionShape = `expect {"name": "…", "kind": "shell" | "agent"} or {"cmd": ["…"]}, each field optional, with "rows" and "cols"`

// listSessions answers GET .../sessions.
func (s *server) listSessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Sessions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// startSession answers POST .../sessions: 201 with the new session, 409
// when the project is not running or the name is taken.
func (s *server) startSession(w http.ResponseWriter, r *http.Request) {
	var req termwire.SessionRequest
	if code, e := decodeBody(w, r, &req, sessionShape); e != nil {
		writeError(w, code, *e)
		return
	}
	info, err := s.svc.StartSession(r.Context(), r.PathValue("id"), req)
	if errors.Is(err, daemon.ErrNotRunning) {
		writeError(w, http.StatusConflict, apiError{Message: err.Error()})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, info)
}

// attachSession answers GET .../sessions/{name}/attach, a WebSocket: an
// attached message, the scrollback, then the live output; input and
// resizes go to the session. Closing the stream detaches; the session
// runs on. When the session ends the client gets its exit code.
func (s *server) attachSession(w http.ResponseWriter, r *http.Request) {
	if !s.fromPage(w, r) {
		return
	}
	sess, err := s.svc.Session(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	conn, ok := s.upgrade(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer conn.WS.CloseNow()

	client, back := sess.Attach()
	defer client.Detach()
	info := sess.Info()
	if err := conn.Send(ctx, termwire.Control{Type: termwire.TypeAttached, Session: &info}); err != nil {
		return
	}
	if err := conn.Data(ctx, termwire.Stdout, back); err != nil {
		return
	}
	go s.readSessionInput(ctx, cancel, conn, client)
	for {
		select {
		case <-ctx.Done():
			return // the client left; the session runs on
		case chunk, ok := <-client.Output():
			if !ok {
				s.endAttach(ctx, conn, sess, client)
				return
			}
			if err := conn.Data(ctx, termwire.Stdout, chunk); err != nil {
				return
			}
		}
	}
}

// endAttach tells the client why its output ended: the session's exit, or
// that it fell behind.
func (s *server) endAttach(ctx context.Context, conn *termwire.Conn, sess *termsession.Session, client *termsession.Client) {
	if client.Dropped() {
		s.endStream(ctx, conn, -1, fmt.Errorf("this client fell behind the output of session %q and was detached; the session runs on, attach again", sess.Name()))
		return
	}
	<-sess.Done()
	code, err, _ := sess.Result()
	if err != nil {
		err = fmt.Errorf("session %q ended: %w", sess.Name(), err)
	}
	s.endStream(ctx, conn, code, err)
}

// readSessionInput passes the client's keys and sizes to the session until
// the stream closes.
func (s *server) readSessionInput(ctx context.Context, cancel context.CancelFunc, conn *termwire.Conn, client *termsession.Client) {
	defer cancel()
	for {
		m, err := conn.Read(ctx)
		if err != nil {
			return
		}
		switch {
		case m.Control == nil && m.Stream == termwire.Stdin:
			if _, err := client.Write(m.Data); err != nil {
				return
			}
		case m.Control != nil && m.Control.Type == termwire.TypeResize:
			if termwire.CheckSize(m.Control.Rows, m.Control.Cols) == nil && m.Control.Rows > 0 {
				_ = client.Resize(m.Control.Rows, m.Control.Cols)
			}
		}
	}
}
