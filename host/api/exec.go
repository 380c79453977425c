package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/warden-sh/warden/host/api/termwire"
	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/termsession"
)

// TerminalService is what the terminal routes need of the daemon.
type TerminalService interface {
	Exec(ctx context.Context, ref string, cmd []string, opts daemon.ExecOptions) (int, error)
	StartSession(ctx context.Context, ref string, req termwire.SessionRequest) (termwire.SessionInfo, error)
	Sessions(ctx context.Context, ref string) ([]termwire.SessionInfo, error)
	Session(ctx context.Context, ref, name string) (*termsession.Session, error)
}

// startWait bounds the wait for an exec's start message.
const startWait = 10 * time.Second

// The terminal routes stream over a WebSocket (see termwire): one
// connection carries stdin, stdout, stderr, resizes and the exit code both
// ways, the browser speaks it natively, and it passes the same Host,
// Origin and credential checks (guard) as every other call.

// fromPage checks what guard cannot for a WebSocket. A browser always
// sends Origin with a WebSocket, and guard has already refused any but the
// UI's own; a session cookie without Origin did not come from the UI's
// page, and a WebSocket drives a terminal, so it is refused as any call
// that changes something would be.
func (s *server) fromPage(w http.ResponseWriter, r *http.Request) bool {
	if s.auth.identify(r) == viaSession && len(r.Header.Values("Origin")) == 0 {
		writeError(w, http.StatusForbidden, apiError{
			Message: "a browser session opens a terminal only from the UI's own page (the request has no Origin)",
		})
		return false
	}
	return true
}

// upgrade accepts the WebSocket.
func (s *server) upgrade(w http.ResponseWriter, r *http.Request) (*termwire.Conn, bool) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// guard checked Origin against the UI's origins; the library's own
		// check would refuse 127.0.0.1 against a localhost page.
		InsecureSkipVerify: true,
	})
	if err != nil {
		s.log.Warn("refusing a terminal stream", "path", r.URL.Path, "err", err)
		return nil, false
	}
	return termwire.NewConn(ws), true
}

// exec answers GET .../exec, a WebSocket: the client's first message says
// what to run (termwire start), then the streams flow until the command
// ends and its exit code is sent.
func (s *server) exec(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("id")
	if !s.fromPage(w, r) {
		return
	}
	if _, err := s.svc.Get(r.Context(), ref); err != nil {
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

	sctx, scancel := context.WithTimeout(ctx, startWait)
	m, err := conn.Read(sctx)
	scancel()
	if err == nil && m.Control == nil {
		err = errors.New("the first message must be a start message, not data")
	}
	if err == nil {
		err = termwire.CheckStart(*m.Control)
	}
	if err != nil {
		s.endStream(ctx, conn, -1, fmt.Errorf("starting the exec: %w", err))
		return
	}
	start := *m.Control

	var stdinR *io.PipeReader
	var stdinW *io.PipeWriter
	if start.Stdin {
		stdinR, stdinW = io.Pipe()
		defer stdinR.Close()
	}
	resize := make(chan [2]uint, 1)
	go s.readExecInput(ctx, cancel, conn, stdinW, resize)

	opts := daemon.ExecOptions{
		TTY: start.TTY, User: start.User, Env: start.Env,
		Stdout: termwire.StreamWriter{Ctx: ctx, Conn: conn, Stream: termwire.Stdout},
		Stderr: termwire.StreamWriter{Ctx: ctx, Conn: conn, Stream: termwire.Stderr},
	}
	if start.TTY {
		opts.Size = [2]uint{uint(start.Rows), uint(start.Cols)}
		opts.Resize = resize
	}
	if stdinR != nil {
		opts.Stdin = stdinR
	}
	code, err := s.svc.Exec(ctx, ref, start.Cmd, opts)
	s.endStream(ctx, conn, code, err)
}

// readExecInput passes the client's input on until the stream closes; a
// closed stream ends the exec.
func (s *server) readExecInput(ctx context.Context, cancel context.CancelFunc, conn *termwire.Conn, stdin *io.PipeWriter, resize chan [2]uint) {
	defer cancel()
	defer func() {
		if stdin != nil {
			_ = stdin.Close()
		}
	}()
	for {
		m, err := conn.Read(ctx)
		if err != nil {
			return
		}
		switch {
		case m.Control == nil && m.Stream == termwire.Stdin && stdin != nil:
			if _, err := stdin.Write(m.Data); err != nil {
				stdin = nil // the command no longer reads; drop further input
			}
		case m.Control != nil && m.Control.Type == termwire.TypeEOF && stdin != nil:
			_ = stdin.Close()
			stdin = nil
		case m.Control != nil && m.Control.Type == termwire.TypeResize:
			if termwire.CheckSize(m.Control.Rows, m.Control.Cols) != nil || m.Control.Rows == 0 {
				continue
			}
			select {
			case <-resize:
			default:
			}
			resize <- [2]uint{uint(m.Control.Rows), uint(m.Control.Cols)}
		}
	}
}

// endStream sends the exit code, or the error, and closes the stream.
func (s *server) endStream(ctx context.Context, conn *termwire.Conn, code int, err error) {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.log.Info("terminal stream ended with an error", "err", err)
		}
		_ = conn.Send(wctx, termwire.Failed(err))
		_ = conn.WS.Close(websocket.StatusNormalClosure, "")
		return
	}
	_ = conn.Send(wctx, termwire.Exited(code))
	_ = conn.WS.Close(websocket.StatusNormalClosure, "")
}
