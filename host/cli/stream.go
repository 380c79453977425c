package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/coder/websocket"
	"golang.org/x/term"

	"github.com/warden-sh/warden/host/api/termwire"
)

// dialStream opens a terminal stream (a WebSocket, see termwire) on the
// API, with the same credentials as every other call.
func (c *apiClient) dialStream(ctx context.Context, path string) (*termwire.Conn, error) {
	u := "ws://localhost/api/v1" + path
	opts := &websocket.DialOptions{HTTPClient: c.http, HTTPHeader: http.Header{}}
	if c.socket == "" {
		u = "ws://" + c.addr + "/api/v1" + path
		opts.Host = "localhost:" + portOf(c.addr)
	}
	if c.token != "" {
		opts.HTTPHeader.Set("Authorization", "Bearer "+c.token)
	}
	ws, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, c.refusal(http.MethodGet, path, resp)
		}
		return nil, c.callError(err)
	}
	return termwire.NewConn(ws), nil
}

// streamIO says how a terminal stream meets this process's terminal.
type streamIO struct {
	// stdin, when set, is sent to the command.
	stdin io.Reader
	// eof sends the end of stdin on (exec); otherwise the end of stdin
	// only stops input (attach: the session keeps its input).
	eof bool
	// tty, when set, is the user's terminal: it goes in raw mode and its
	// size is forwarded.
	tty *os.File
	// detach is a key that leaves the stream (attach), or -1.
	detach int
}

// errDetached is how a stream ends that the user left with the detach key.
var errDetached = errors.New("detached")

// detachKey is Ctrl-], the key that leaves a session running (as telnet's
// escape).
const detachKey = 0x1d

// pump runs a terminal stream until the daemon sends the exit code or an
// error, or the user detaches.
func (a *app) pump(ctx context.Context, conn *termwire.Conn, o streamIO) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer conn.WS.CloseNow()

	if f := o.tty; f != nil {
		if state, err := term.MakeRaw(int(f.Fd())); err == nil {
			defer term.Restore(int(f.Fd()), state)
		}
		sizes := watchSize(ctx, int(f.Fd()))
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case s := <-sizes:
					_ = conn.Send(ctx, termwire.Control{Type: termwire.TypeResize, Rows: int(s[0]), Cols: int(s[1])})
				}
			}
		}()
	}
	detached := make(chan struct{})
	if o.stdin != nil {
		go a.sendInput(ctx, conn, o, detached)
	}
	for {
		m, err := conn.Read(ctx)
		if err != nil {
			select {
			case <-detached:
				return 0, errDetached
			default:
			}
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, fmt.Errorf("the stream from the daemon closed before the command ended: %w", err)
		}
		if m.Control == nil {
			w := a.out
			if m.Stream == termwire.Stderr {
				w = a.errOut
			}
			if _, err := w.Write(m.Data); err != nil {
				return -1, fmt.Errorf("writing the command's output: %w", err)
			}
			continue
		}
		switch m.Control.Type {
		case termwire.TypeExit:
			if m.Control.Code == nil {
				return -1, errors.New("the daemon sent an exit without a code")
			}
			return *m.Control.Code, nil
		case termwire.TypeError:
			return -1, errors.New(m.Control.Message)
		}
	}
}

// sendInput copies stdin to the stream. With a detach key, that key
// closes the stream and leaves the command running.
func (a *app) sendInput(ctx context.Context, conn *termwire.Conn, o streamIO, detached chan<- struct{}) {
	buf := make([]byte, termwire.MaxChunk)
	for {
		n, err := o.stdin.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if i := bytes.IndexByte(chunk, byte(o.detach)); o.detach >= 0 && i >= 0 {
				_ = conn.Data(ctx, termwire.Stdin, chunk[:i])
				close(detached)
				_ = conn.WS.Close(websocket.StatusNormalClosure, "detached")
				return
			}
			if conn.Data(ctx, termwire.Stdin, chunk) != nil {
				return
			}
		}
		if err != nil {
			if o.eof {
				_ = conn.Send(ctx, termwire.Control{Type: termwire.TypeEOF})
			}
			return
		}
	}
}
