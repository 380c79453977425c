package fast

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxResponseHead bounds a dev server's response head. The agent runs the
// dev server and is not trusted with the daemon's memory.
const maxResponseHead = 1 << 20

// max1xx is how many informational answers (100 Continue, 103 Early
// Hints) may come before the real one.
const max1xx = 5

// errDeadConn marks a kept connection the dev server had closed before the
// request reached it; a request without a body is then sent once more on a
// new connection.
var errDeadConn = errors.New("kept connection was closed by the dev server")

var (
	// ErrNoAnswer: the dev server sent no answer head within
	// Config.AnswerTimeout.
	ErrNoAnswer = errors.New("the dev server sent no answer in time")
	// ErrBrowserLeft: the browser left while the answer was awaited.
	ErrBrowserLeft = errors.New("the browser left before the answer")
)

// headGrace is how long an answer head is awaited before the browser's
// side is watched too (waitHook): most answers come sooner, and need no
// goroutine.
const headGrace = 100 * time.Millisecond

// waiter is what the caller of an exchange is told while it waits for the
// answer; nil fields, or a nil waiter, are not told.
type waiter struct {
	// slow is given by a caller that learns of a departed browser from no
	// context (the fast path): called once an answer is slow, it watches
	// the browser, ending backend's reads should it leave; stop ends the
	// watch and reports whether the browser is still there.
	slow func(backend net.Conn) (stop func() bool)
	// informational passes an informational answer (100 Continue, 103
	// Early Hints) on to the browser, as ReverseProxy does.
	informational func(code int, hdr http.Header) error
}

// Transport is the proxy's http.RoundTripper: HTTP/1.1 with keep-alive
// to each dev server (pooled by the key host/proxy names one per project
// and port, never by address), each exchange done on the calling
// goroutine. net/http's Transport hands every request to two goroutines of its own; on a
// two-CPU machine those hand-offs cost about a third of the throughput.
type Transport struct {
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle       int
	idleTimeout   time.Duration
	answerTimeout time.Duration

	mu     sync.Mutex
	idle   map[string][]*backendConn // most recently used last
	reaper *time.Timer
	closed bool
}

// TransportConfig are a Transport's limits.
type TransportConfig struct {
	// MaxIdlePerPort is how many idle connections are kept to one dev
	// server (one key).
	MaxIdlePerPort int
	// IdleTimeout closes a kept connection unused this long.
	IdleTimeout time.Duration
	// AnswerTimeout bounds the wait for an answer head.
	AnswerTimeout time.Duration
}

// NewTransport returns a Transport that reaches the dev server a key names
// through dial (its addr is the key).
func NewTransport(cfg TransportConfig, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *Transport {
	return &Transport{dial: dial, maxIdle: cfg.MaxIdlePerPort, idleTimeout: cfg.IdleTimeout,
		answerTimeout: cfg.AnswerTimeout, idle: make(map[string][]*backendConn)}
}

// backendConn is one connection to a dev server with its buffers.
type backendConn struct {
	key    string
	conn   net.Conn
	head   io.LimitedReader // under br: bounds each response head
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
}

func newBackendConn(key string, c net.Conn) *backendConn {
	bc := &backendConn{key: key, conn: c}
	bc.head = io.LimitedReader{R: c, N: math.MaxInt64}
	bc.br = bufio.NewReaderSize(&bc.head, 4096)
	bc.bw = bufio.NewWriterSize(c, 4096)
	return bc
}

// RoundTrip sends req to the port req.URL.Host names (backendAddr) and
// returns the answer; its body hands the connection back once read to the
// end. req's context ends the wait when the browser leaves.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var w *waiter
	if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.Got1xxResponse != nil {
		w = &waiter{informational: func(code int, hdr http.Header) error {
			return trace.Got1xxResponse(code, textproto.MIMEHeader(hdr))
		}}
	}
	return t.roundTrip(req, w)
}

// roundTrip is RoundTrip, with w told while the answer is awaited.
func (t *Transport) roundTrip(req *http.Request, w *waiter) (*http.Response, error) {
	hasBody := req.Body != nil && req.Body != http.NoBody
	// Only a request that may be sent twice is sent on a kept connection
	// untested; any other first checks that the dev server has not closed
	// it.
	replayable := !hasBody && idempotent(req.Method)
	for attempt := 0; ; attempt++ {
		c, reused, err := t.get(req.Context(), req.URL.Host, !replayable)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(c, req, hasBody, w)
		if err == nil {
			return resp, nil
		}
		c.conn.Close()
		if reused && attempt == 0 && replayable && errors.Is(err, errDeadConn) && req.Context().Err() == nil {
			continue
		}
		return nil, err
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// exchange writes req on c and reads the answer's head. A body is written
// by a goroutine of its own, so a dev server that answers before reading
// all of it is heard.
func (t *Transport) exchange(c *backendConn, req *http.Request, hasBody bool, w *waiter) (*http.Response, error) {
	stop := c.endWith(req.Context())
	var wrote chan error
	if hasBody {
		wrote = make(chan error, 1)
		go func() { wrote <- c.write(req) }()
	} else if err := c.write(req); err != nil {
		stop()
		return nil, fmt.Errorf("%w: %w", errDeadConn, err)
	}
	return t.answer(c, req, stop, wrote, w)
}

// endWith ends c's reads and writes when ctx ends; stop stops that.
func (c *backendConn) endWith(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(time.Unix(1, 0)) })
}

// answer reads the answer to req, already sent on c; its body hands c
// back. stop ends the watch of req's context.
func (t *Transport) answer(c *backendConn, req *http.Request, stop func() bool, wrote chan error, w *waiter) (*http.Response, error) {
	resp, err := c.readResponse(req, t.answerTimeout, w)
	if err != nil {
		stop()
		if ctx := req.Context(); ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	resp.Body = &backendBody{
		body:     resp.Body,
		t:        t,
		c:        c,
		stop:     stop,
		wrote:    wrote,
		reusable: !resp.Close && !req.Close,
		empty:    resp.Body == http.NoBody,
	}
	return resp, nil
}

func (c *backendConn) write(req *http.Request) error {
	if err := req.Write(c.bw); err != nil {
		return err
	}
	return c.bw.Flush()
}

// readResponse reads the final answer's head within timeout, telling w
// of a slow answer and of informational ones.
func (c *backendConn) readResponse(req *http.Request, timeout time.Duration, w *waiter) (*http.Response, error) {
	ctx := req.Context()
	var slow func(net.Conn) func() bool
	var informational func(int, http.Header) error
	if w != nil {
		slow, informational = w.slow, w.informational
	}
	limit := time.Now().Add(timeout)
	first := limit
	if grace := time.Now().Add(headGrace); slow != nil && grace.Before(limit) {
		first = grace
	}
	c.readBy(ctx, first)
	_, err := c.br.Peek(1)
	if slow != nil && isTimeout(err) && ctx.Err() == nil && first.Before(limit) {
		c.readBy(ctx, limit) // before the watch, which may end it sooner
		stop := slow(c.conn)
		_, err = c.br.Peek(1)
		if !stop() {
			return nil, ErrBrowserLeft
		}
	}
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET):
		// A connection the dev server closed while it was kept ends
		// before the first byte; ReadResponse would not say so.
		return nil, fmt.Errorf("%w: %w", errDeadConn, err)
	case isTimeout(err) && ctx.Err() == nil:
		return nil, fmt.Errorf("%w (waited %s)", ErrNoAnswer, timeout)
	}
	resp, err := c.readHeads(req, informational)
	if isTimeout(err) && ctx.Err() == nil {
		return nil, fmt.Errorf("%w (waited %s)", ErrNoAnswer, timeout)
	}
	if err == nil {
		c.readBy(ctx, time.Time{}) // the body has no limit but the request's
	}
	return resp, err
}

// readBy sets c's read deadline, unless ctx has ended (endWith set one in
// the past, which stays).
func (c *backendConn) readBy(ctx context.Context, t time.Time) {
	_ = c.conn.SetReadDeadline(t)
	if ctx.Err() != nil {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// readHeads reads answer heads until the final one, passing informational
// ones to informational, when set.
func (c *backendConn) readHeads(req *http.Request, informational func(int, http.Header) error) (*http.Response, error) {
	for n := 0; ; n++ {
		c.head.N = maxResponseHead
		resp, err := http.ReadResponse(c.br, req)
		exhausted := c.head.N <= 0
		c.head.N = math.MaxInt64
		switch {
		case err == nil:
		case exhausted:
			return nil, fmt.Errorf("the dev server's answer head is larger than %d bytes", maxResponseHead)
		default:
			return nil, fmt.Errorf("reading the dev server's answer: %w", err)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			// Upgrades never come here (serveUpgrade).
			resp.Body.Close()
			return nil, errors.New("the dev server switched protocols, which the request did not ask for")
		}
		if resp.StatusCode >= 200 {
			return resp, nil
		}
		if n >= max1xx {
			return nil, fmt.Errorf("the dev server sent more than %d informational answers", max1xx)
		}
		if informational != nil {
			if err := informational(resp.StatusCode, resp.Header); err != nil {
				return nil, fmt.Errorf("passing an informational answer on: %w", err)
			}
		}
	}
}
