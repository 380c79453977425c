package termwire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Streams, the first byte of a binary message.
const (
	Stdin  byte = 0
	Stdout byte = 1
	Stderr byte = 2
)

// Control message types.
const (
	TypeStart    = "start"
	TypeResize   = "resize"
	TypeEOF      = "eof"
	TypeAttached = "attached"
	TypeExit     = "exit"
	TypeError    = "error"
)

// Sizes. A sender cuts its data into chunks of at most MaxChunk bytes; a
// reader accepts messages up to ReadLimit.
const (
	MaxChunk  = 32 << 10
	ReadLimit = 1 << 20
	// MaxRows and MaxCols bound a terminal size.
	MaxRows = 1000
	MaxCols = 1000
)

// Control is a text message.
type Control struct {
	Type string `json:"type"`

	// start: the command (empty: the agent type's command), whether it
	// gets a terminal and standard input, its user and added variables.
	Cmd   []string `json:"cmd,omitempty"`
	TTY   bool     `json:"tty,omitempty"`
	Stdin bool     `json:"stdin,omitempty"`
	User  string   `json:"user,omitempty"`
	Env   []string `json:"env,omitempty"`

	// start and resize: the terminal's size.
	Rows int `json:"rows,omitempty"`
	Cols int `json:"cols,omitempty"`

	// exit: the command's exit code.
	Code *int `json:"code,omitempty"`
	// error: what went wrong, for the user.
	Message string `json:"message,omitempty"`
	// attached: the session attached to.
	Session *SessionInfo `json:"session,omitempty"`
}

// SessionInfo describes a session that runs in a project's agent
// container, as GET .../sessions lists it.
type SessionInfo struct {
	Name string `json:"name"`
	// Kind is shell, agent or command.
	Kind    string    `json:"kind"`
	Command []string  `json:"command"`
	Started time.Time `json:"started"`
	// Clients is how many clients are attached now.
	Clients int  `json:"clients"`
	Running bool `json:"running"`
	// ExitCode is set once the session has ended.
	ExitCode *int      `json:"exitCode,omitempty"`
	Ended    time.Time `json:"ended,omitzero"`
	// Error says why a session ended without an exit code.
	Error string `json:"error,omitempty"`
	Rows  int    `json:"rows,omitempty"`
	Cols  int    `json:"cols,omitempty"`
}

// SessionRequest is the body of POST .../sessions.
type SessionRequest struct {
	// Name is the session's name; empty picks one (shell-1, agent-2, …).
	Name string `json:"name,omitempty"`
	// Kind is shell or agent; with Cmd it may be empty or command.
	Kind string   `json:"kind,omitempty"`
	Cmd  []string `json:"cmd,omitempty"`
	Rows int      `json:"rows,omitempty"`
	Cols int      `json:"cols,omitempty"`
}

// Session kinds.
const (
	KindShell   = "shell"
	KindAgent   = "agent"
	KindCommand = "command"
)

// CheckSize refuses a size out of bounds; zero (unset) passes.
func CheckSize(rows, cols int) error {
	if rows == 0 && cols == 0 {
		return nil
	}
	if rows < 1 || rows > MaxRows || cols < 1 || cols > MaxCols {
		return fmt.Errorf("terminal size %dx%d (rows x columns) is out of range; expect 1 to %d rows and 1 to %d columns", rows, cols, MaxRows, MaxCols)
	}
	return nil
}

// CheckStart refuses a start message that cannot run.
func CheckStart(c Control) error {
	if c.Type != TypeStart {
		return fmt.Errorf("the first message must be {\"type\":\"start\",…}; got type %q", c.Type)
	}
	for i, a := range c.Cmd {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argument %d of the command holds a NUL byte", i)
		}
	}
	if len(c.Cmd) > 0 && c.Cmd[0] == "" {
		return errors.New("the command's name is empty; expect a program and its arguments, such as [\"bash\", \"-l\"]")
	}
	for _, e := range c.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" || strings.IndexByte(e, 0) >= 0 {
			return fmt.Errorf("environment entry %q is not KEY=VALUE", e)
		}
	}
	if strings.IndexByte(c.User, 0) >= 0 || strings.ContainsAny(c.User, " \n") {
		return fmt.Errorf("user %q is not a user name or uid[:gid]", c.User)
	}
	return CheckSize(c.Rows, c.Cols)
}

// Conn is one end of a terminal stream. Its write methods may be called
// from several goroutines; Read from one.
type Conn struct{ WS *websocket.Conn }

// NewConn wraps a WebSocket and lifts its read limit to ReadLimit.
func NewConn(ws *websocket.Conn) *Conn {
	ws.SetReadLimit(ReadLimit)
	return &Conn{WS: ws}
}

// Send writes a control message.
func (c *Conn) Send(ctx context.Context, m Control) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.WS.Write(ctx, websocket.MessageText, b)
}

// Data writes p on a stream, cut into chunks of at most MaxChunk.
func (c *Conn) Data(ctx context.Context, stream byte, p []byte) error {
	for len(p) > 0 {
		n := min(len(p), MaxChunk)
		msg := make([]byte, 1+n)
		msg[0] = stream
		copy(msg[1:], p[:n])
		if err := c.WS.Write(ctx, websocket.MessageBinary, msg); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// Message is one message read: either a control (Control set) or data on
// a stream.
type Message struct {
	Control *Control
	Stream  byte
	Data    []byte
}

// Read reads the next message.
func (c *Conn) Read(ctx context.Context) (Message, error) {
	typ, b, err := c.WS.Read(ctx)
	if err != nil {
		return Message{}, err
	}
	if typ == websocket.MessageText {
		var m Control
		if err := json.Unmarshal(b, &m); err != nil {
			return Message{}, fmt.Errorf("reading a control message: %w", err)
		}
		return Message{Control: &m}, nil
	}
	if len(b) == 0 {
		return Message{}, errors.New("reading a data message: it is empty; expect a stream byte and data")
	}
	return Message{Stream: b[0], Data: b[1:]}, nil
}

// StreamWriter is an io.Writer onto one stream of a Conn.
type StreamWriter struct {
	Ctx    context.Context
	Conn   *Conn
	Stream byte
}

func (w StreamWriter) Write(p []byte) (int, error) {
	if err := w.Conn.Data(w.Ctx, w.Stream, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Exited is an exit control message.
func Exited(code int) Control { return Control{Type: TypeExit, Code: &code} }

// Failed is an error control message.
func Failed(err error) Control { return Control{Type: TypeError, Message: err.Error()} }
