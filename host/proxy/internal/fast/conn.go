package fast

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
)

// headBuffer is the size of a connection's read buffer: a request head
// must fit in it to be answered on the fast path (net/http reads the rest).
const headBuffer = 4096

// ConnOptions are the limits Intercept applies to the connections it reads.
type ConnOptions struct {
	// HeaderTimeout bounds the reading of one request head.
	HeaderTimeout time.Duration
	// IdleTimeout closes a connection that sends no new request this long.
	IdleTimeout time.Duration
}

// Intercept returns a listener over ln for an http.Server. Every connection
// accepted on ln is read here first. While its requests are plain
// requests (GET or HEAD with no body and no upgrade, a head that fits in
// 4 KiB) that the router admits (Router.Admit), they are answered on the
// connection's own goroutine: one read from the browser, one write and
// one read to the dev server, one write back. At the first request that is
// anything else (the API, the UI, a WebSocket, an upload, a refusal, a
// malformed request), the connection goes to the server through the
// returned listener for good, that request still unread.
//
// net/http's server reads ahead on every connection while a request runs,
// one goroutine and one system call per request, to learn early that the
// browser has left; on a two-CPU machine that costs a quarter of the
// proxy's throughput. The fast path watches for a departed browser only
// while an answer is slow to begin (waiter.slow) or of unknown length.
func (s *Server) Intercept(ln net.Listener, opts ConnOptions) net.Listener {
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	l := &interceptor{s: s, ln: ln, opts: opts, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go l.run()
	return l
}

// interceptor is Intercept's listener.
type interceptor struct {
	s     *Server
	ln    net.Listener
	opts  ConnOptions
	conns chan net.Conn // handed to the server
	errs  chan error    // ln's Accept errors, for the server's back-off
	done  chan struct{}
	once  sync.Once
}

func (l *interceptor) run() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.s.serveConn(c, l)
	}
}

func (l *interceptor) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *interceptor) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

func (l *interceptor) Addr() net.Addr { return l.ln.Addr() }

// handOff gives c to the server; when the server no longer accepts, c is
// closed.
func (l *interceptor) handOff(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

// fastConns are the connections the fast path holds, so Close can end
// them: the server never knew them.
type fastConns struct {
	mu     sync.Mutex
	open   map[*fastConn]struct{}
	closed bool
}

func (fs *fastConns) add(fc *fastConn) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return false
	}
	if fs.open == nil {
		fs.open = make(map[*fastConn]struct{})
	}
	fs.open[fc] = struct{}{}
	return true
}

func (fs *fastConns) remove(fc *fastConn) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.open, fc)
}

func (fs *fastConns) closeAll() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.closed = true
	for fc := range fs.open {
		fc.c.Close()
	}
	clear(fs.open)
}

// fastConn is one browser connection on the fast path.
type fastConn struct {
	s  *Server
	c  net.Conn
	ic *interceptor
	in connReader // br's source
	br *bufio.Reader
	bw *bufio.Writer
	// head is a copy of the request head being read, for the server should
	// the connection be handed to it.
	head []byte
	// remoteIP is the browser's address, for X-Forwarded-For.
	remoteIP string
	// wait is what an exchange tells the connection (waiter).
	wait waiter
}

// connReader reads the connection, after what was read of it early (by
// the stream watch, or by the event loop before handing it back).
type connReader struct {
	c     net.Conn
	early []byte
}

func (r *connReader) Read(p []byte) (int, error) {
	if len(r.early) > 0 {
		return takeEarly(&r.early, p), nil
	}
	return r.c.Read(p)
}

// takeEarly moves what p holds of *early into p.
func takeEarly(early *[]byte, p []byte) int {
	n := copy(p, *early)
	*early = (*early)[n:]
	if len(*early) == 0 {
		*early = nil
	}
	return n
}

func (s *Server) serveConn(c net.Conn, l *interceptor) {
	s.runConn(s.newFastConn(c, l, nil), true, nil)
}

// newFastConn reads c, after early, the bytes already read of it.
func (s *Server) newFastConn(c net.Conn, l *interceptor, early []byte) *fastConn {
	fc := &fastConn{s: s, c: c, ic: l, in: connReader{c: c, early: early}}
	fc.br = readers.Get().(*bufio.Reader)
	fc.br.Reset(&fc.in)
	fc.bw = writers.Get().(*bufio.Writer)
	fc.bw.Reset(c)
	if ip, _, err := net.SplitHostPort(c.RemoteAddr().String()); err == nil {
		fc.remoteIP = ip
	}
	return fc
}

// What becomes of a connection the fast path served.
const (
	connDone     = iota // closed
	connToServer        // handed to the HTTP server
	connMoved           // moved to an event loop
)

// runConn serves fc's requests (after pending, an exchange to finish
// first, which reports whether the connection goes on and the dev server
// port it used) until the connection ends, goes to the server, or moves to
// an event loop.
func (s *Server) runConn(fc *fastConn, first bool, pending func() (bool, string)) {
	if !s.conns.add(fc) {
		fc.c.Close()
		return
	}
	next := connDone
	switch {
	case pending == nil:
		next = fc.serve(first)
	default:
		if ok, key := pending(); ok {
			next = connMoved
			if !fc.moveToLoop(key) {
				next = fc.serve(first)
			}
		}
	}
	s.conns.remove(fc)
	switch next {
	case connDone:
		fc.c.Close()
	case connToServer:
		_ = fc.c.SetDeadline(time.Time{})
		// What was read ahead goes with the connection, in order; the
		// buffers stay here (an idle WebSocket should not hold them).
		early := fc.head
		if n := fc.br.Buffered(); n > 0 {
			b, _ := fc.br.Peek(n)
			early = append(early, b...)
		}
		early = append(early, fc.in.early...)
		fc.ic.handOff(&earlyConn{Conn: fc.c, early: early})
	}
	fc.release()
}

// The connections' buffers, lent while a connection is on the fast path.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, headBuffer) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, headBuffer) }}
)

// release gives the buffers back; fc is not used after.
func (fc *fastConn) release() {
	fc.br.Reset(nil)
	fc.bw.Reset(nil)
	readers.Put(fc.br)
	writers.Put(fc.bw)
	fc.br, fc.bw = nil, nil
}

// errNotFast marks a request the fast path leaves to the server.
var errNotFast = errors.New("not for the fast path")

// serve answers requests until the connection ends, a request is one for
// the server, or the connection moves to an event loop.
func (fc *fastConn) serve(first bool) int {
	for ; ; first = false {
		head, err := fc.readHead(first)
		if errors.Is(err, errNotFast) {
			fc.head = fc.head[:0] // all of it is still in br
			return connToServer
		}
		if err != nil {
			return connDone
		}
		fc.head = append(fc.head[:0], head...)
		before := fc.br.Buffered()
		req, key, ok := fc.s.admit(fc.br, false)
		if used := before - fc.br.Buffered(); used < len(fc.head) {
			// A malformed head may be read only in part; the server reads
			// it again from the copy.
			_, _ = fc.br.Discard(len(fc.head) - used)
		}
		if !ok {
			return connToServer // the server answers it, or writes the page
		}
		fc.head = fc.head[:0]
		fc.s.fastCount.Add(1)
		if !fc.forward(req, key) {
			return connDone
		}
		if fc.moveToLoop(key) {
			return connMoved
		}
	}
}

// readHead waits for the next request and returns its head, still
// buffered in br. A head larger than the buffer, or with a line that does
// not end in CRLF, is errNotFast.
func (fc *fastConn) readHead(first bool) ([]byte, error) {
	if fc.br.Buffered() == 0 {
		wait := fc.ic.opts.IdleTimeout
		if first {
			wait = fc.ic.opts.HeaderTimeout
		}
		_ = fc.c.SetReadDeadline(time.Now().Add(wait))
		if _, err := fc.br.Peek(1); err != nil {
			return nil, err
		}
	}
	deadline := false
	for {
		buf, _ := fc.br.Peek(fc.br.Buffered())
		switch end := headEnd(buf); {
		case end > 0:
			return buf[:end], nil
		case end < 0 || len(buf) == fc.br.Size():
			return nil, errNotFast
		}
		if !deadline {
			_ = fc.c.SetReadDeadline(time.Now().Add(fc.ic.opts.HeaderTimeout))
			deadline = true
		}
		if _, err := fc.br.Peek(len(buf) + 1); err != nil {
			return nil, err
		}
	}
}

// headEnd returns the length of the request head at the start of buf,
// through its empty line; 0 when buf holds no whole head yet, -1 when a
// line ends in a bare LF.
func headEnd(buf []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(buf[i:], '\n')
		if j < 0 {
			return 0
		}
		j += i
		if j == 0 || buf[j-1] != '\r' {
			return -1
		}
		if j == i+1 {
			return j + 1
		}
		i = j + 1
	}
}

// admit reads a request head from br and reports whether the fast path
// answers it: a plain request that passes every check (Router.Admit),
// with the dev server it goes to.
func (s *Server) admit(br *bufio.Reader, memoryOnly bool) (*http.Request, string, bool) {
	req, err := http.ReadRequest(br)
	if err != nil || !plainRequest(req) {
		return nil, "", false
	}
	key, ok := s.router.Admit(req, memoryOnly)
	return req, key, ok
}

// plainRequest reports a request the fast path answers: HTTP/1.1 GET or
// HEAD of a path, with no body, no upgrade, no expectation, and valid
// header names and values. The server answers the rest, the malformed
// ones included.
func plainRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.ProtoMajor != 1 || r.ProtoMinor != 1 || !strings.HasPrefix(r.RequestURI, "/") {
		return false
	}
	if r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return false
	}
	for k, vs := range r.Header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Upgrade", "Expect", "Host":
			return false
		}
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// earlyConn is a connection that reads what was read of it early before
// the socket: a browser connection handed to the server (the request head
// included), a dev server connection whose answer an event loop began.
type earlyConn struct {
	net.Conn
	early []byte
}

func (h *earlyConn) Read(p []byte) (int, error) {
	if len(h.early) > 0 {
		return takeEarly(&h.early, p), nil
	}
	return h.Conn.Read(p)
}

// drained reports that every byte read early has been read from h.
func (h *earlyConn) drained() bool { return len(h.early) == 0 }

// CloseWrite half-closes, for a WebSocket tunnel's end.
func (h *earlyConn) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// SyscallConn gives the socket once nothing read early is left, so an
// idle tunnel holds no buffer (relay.Join); before that, reads must go
// through Read.
func (h *earlyConn) SyscallConn() (syscall.RawConn, error) {
	if !h.drained() {
		return nil, errors.ErrUnsupported
	}
	sc, ok := h.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

var _ io.Reader = (*earlyConn)(nil)
