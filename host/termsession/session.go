package termsession

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Runner runs the session's command with a terminal until it ends: it
// reads stdin, writes the terminal's output to out, applies each size
// [rows, cols] from resize and returns the exit code.
type Runner func(ctx context.Context, stdin io.Reader, out io.Writer, resize <-chan [2]uint) (int, error)

// Config describes a session.
type Config struct {
	Name    string
	Kind    string
	Command []string
	// Scrollback is how many bytes of recent output are kept for clients
	// that attach later; DefaultScrollback when zero.
	Scrollback int
	// ClientBuffer is how many chunks of output may wait for a client
	// before it is dropped; DefaultClientBuffer when zero.
	ClientBuffer int
	// Rows and Cols are the first size; zero leaves the runner's default.
	Rows, Cols int
	Now        func() time.Time
}

// Defaults of Config.
const (
	DefaultScrollback   = 256 << 10
	DefaultClientBuffer = 1024
)

// ErrEnded is returned by a write to a session whose command has ended.
var ErrEnded = errors.New("the session has ended")

// Session is one command with a terminal and its attached clients. Its
// methods are safe for concurrent use.
type Session struct {
	cfg     Config
	started time.Time
	stdinR  *io.PipeReader
	stdinW  *io.PipeWriter
	resize  chan [2]uint
	done    chan struct{}

	mu      sync.Mutex
	ring    *ring
	clients map[*Client]struct{}
	rows    int
	cols    int
	ended   time.Time
	code    *int
	err     error
}

// New returns a session that Run starts.
func New(cfg Config) *Session {
	if cfg.Scrollback <= 0 {
		cfg.Scrollback = DefaultScrollback
	}
	if cfg.ClientBuffer <= 0 {
		cfg.ClientBuffer = DefaultClientBuffer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r, w := io.Pipe()
	s := &Session{
		cfg: cfg, started: cfg.Now(), stdinR: r, stdinW: w,
		resize: make(chan [2]uint, 1), done: make(chan struct{}),
		ring: newRing(cfg.Scrollback), clients: map[*Client]struct{}{},
	}
	if cfg.Rows > 0 && cfg.Cols > 0 {
		s.setSize(cfg.Rows, cfg.Cols)
	}
	return s
}

// Name is the session's name.
func (s *Session) Name() string { return s.cfg.Name }

// Done is closed once the command has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Run runs the command until it ends or ctx ends, then detaches every
// client. Call it once.
func (s *Session) Run(ctx context.Context, run Runner) {
	code, err := run(ctx, s.stdinR, output{s}, s.resize)
	_ = s.stdinR.CloseWithError(ErrEnded)
	s.mu.Lock()
	s.ended = s.cfg.Now()
	if err != nil {
		s.err = err
	} else {
		s.code = &code
	}
	for c := range s.clients {
		c.closeLocked()
	}
	s.mu.Unlock()
	close(s.done)
}

// Result is the exit code, or why there is none; ok is false while the
// command runs.
func (s *Session) Result() (code int, err error, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.code != nil:
		return *s.code, nil, true
	case s.err != nil:
		return -1, s.err, true
	}
	return 0, nil, false
}

// Running reports whether the command still runs.
func (s *Session) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// output is the runner's side of the terminal.
type output struct{ s *Session }

func (o output) Write(p []byte) (int, error) {
	s := o.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring.Write(p)
	for c := range s.clients {
		select {
		case c.out <- append([]byte(nil), p...):
		default:
			c.dropped = true
			c.closeLocked()
		}
	}
	return len(p), nil
}

// Attach adds a client. It gets the scrollback first, then the output that
// follows, with nothing lost or repeated between them. Attaching to an
// ended session still gives the scrollback.
func (s *Session) Attach() (*Client, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Client{s: s, out: make(chan []byte, s.cfg.ClientBuffer)}
	if s.ended.IsZero() {
		s.clients[c] = struct{}{}
	} else {
		c.closed = true
		close(c.out)
	}
	return c, s.ring.Bytes()
}

// Scrollback returns the recent output.
func (s *Session) Scrollback() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring.Bytes()
}

func (s *Session) setSize(rows, cols int) {
	s.rows, s.cols = rows, cols
	size := [2]uint{uint(rows), uint(cols)}
	// The newest size replaces one the runner has not taken yet.
	for {
		select {
		case s.resize <- size:
			return
		default:
		}
		select {
		case <-s.resize:
		default:
		}
	}
}

// Client is one attachment to a session.
type Client struct {
	s   *Session
	out chan []byte
	// closed and dropped are guarded by s.mu.
	closed  bool
	dropped bool
}

// Output yields the session's output; it is closed when the session ends,
// the client detaches or is dropped for falling behind (see Dropped).
func (c *Client) Output() <-chan []byte { return c.out }

// Dropped reports whether the client was let go for falling behind.
func (c *Client) Dropped() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.dropped
}

// Write sends p to the command's standard input.
func (c *Client) Write(p []byte) (int, error) {
	n, err := c.s.stdinW.Write(p)
	if errors.Is(err, io.ErrClosedPipe) || errors.Is(err, ErrEnded) {
		return n, ErrEnded
	}
	return n, err
}

// Resize sets the terminal's size; the latest client to ask wins.
func (c *Client) Resize(rows, cols int) error {
	if rows < 1 || cols < 1 {
		return fmt.Errorf("terminal size %dx%d is not positive", rows, cols)
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.setSize(rows, cols)
	return nil
}

// Detach removes the client; the session runs on. Detaching twice is not
// an error.
func (c *Client) Detach() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.closeLocked()
}

func (c *Client) closeLocked() {
	if c.closed {
		return
	}
	c.closed = true
	delete(c.s.clients, c)
	close(c.out)
}
