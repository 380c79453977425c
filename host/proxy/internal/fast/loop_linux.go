package fast

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The event loops carry the steady state of a preview connection: a
// browser connection that has had one plain request answered (see
// Intercept), paired with the dev server connection that answered it.
// Each loop is one goroutine over an epoll set, as a C proxy is built:
// it reads a request only once epoll says it is there, so no read comes
// back empty, and no goroutine sleeps and wakes per request. On a small
// machine shared with the dev server, that is what brings the proxy's
// cost per request near nginx's.
//
// A loop answers only what it can hold whole: a plain request (the same
// test as the fast path, admitted by the router from memory) for the
// pair's own dev server, and an answer whose head and body fit in
// LoopAnswerMax with a known length, that comes within loopWaitMax. At
// anything else (another request, an answer of unknown length such as an
// event stream, a large one, an informational one, one cut short, a slow
// one, a dev server that closed its side, a router with nothing fresh in
// memory) the pair goes back to a goroutine, with every byte read so far,
// and carries on there.

// LoopAnswerMax bounds an answer a loop holds: head and body.
const LoopAnswerMax = 64 << 10

// loopWaitMax is how long a loop waits for an answer before a goroutine
// takes the pair (the sweep runs every second).
const loopWaitMax = time.Second

// maxLoops bounds the number of event loops.
const maxLoops = 4

// loopSet starts the loops on first use.
type loopSet struct {
	once   sync.Once
	all    []*loop
	next   atomic.Uint32
	mu     sync.Mutex
	closed bool
}

// eventLoop returns a loop for one more pair, nil when there is none.
func (srv *Server) eventLoop() *loop {
	if !srv.loops {
		return nil
	}
	s := &srv.loopSet
	s.once.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		n := min(runtime.GOMAXPROCS(0), maxLoops)
		srv.log.Debug("starting event loops", "loops", n)
		for range n {
			l, err := newLoop(srv)
			if err != nil {
				srv.log.Warn("no event loop for previews; requests stay on goroutines", "err", err)
				break
			}
			s.all = append(s.all, l)
			go l.run()
		}
	})
	if len(s.all) == 0 {
		return nil
	}
	return s.all[int(s.next.Add(1))%len(s.all)]
}

// closeLoops ends the loops and every pair they hold.
func (srv *Server) closeLoops() {
	s := &srv.loopSet
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.once.Do(func() {})
	for _, l := range s.all {
		l.close()
	}
}

// pair is a browser connection and its dev server connection, in a loop.
type pair struct {
	client, backend int // file descriptors; backend -1 once closed
	key             string
	remoteIP        string
	ic              *interceptor
	in              []byte // read from the browser, not yet answered
	pending         []byte // answer bytes the browser has not taken yet
	keep            bool   // the connection stays open after the answer
	// The request in flight: nil when idle.
	req  *http.Request
	sent time.Time
	raw  []byte // its head as the browser sent it
	ans  []byte // what the dev server sent of its answer
	// The answer's head once parsed, its length, and the answer's.
	resp           *http.Response
	headLen, total int
	// since is when the pair went idle, or its partial head began.
	since time.Time
}

// edgeEvents is what a loop watches on both connections of a pair, edge
// triggered: a read that comes back short has emptied the socket, and the
// next bytes raise a new event, so no read is ever made to learn that
// nothing is there, and no interest ever changes.
const edgeEvents = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// hangUp is a peer that closed, or a connection that failed.
const hangUp = unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR

// loop is one event loop.
type loop struct {
	s      *Server
	ep     int
	epFile *os.File        // owns ep
	epRaw  syscall.RawConn // waits for ep through the runtime's poller
	wake   int             // eventfd: pairs arrived, or closing
	mu     sync.Mutex
	inbox  []*pair
	quit   bool
	done   chan struct{}
	// The loop goroutine's own:
	byFD  map[int32]*pair
	src   bytes.Reader
	parse *bufio.Reader
	head  bytes.Buffer
	out   bytes.Buffer // a request head being sent
	rbuf  []byte
	swept time.Time
}

func newLoop(srv *Server) (*loop, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	// The epoll set is itself waited on through the runtime's poller, so
	// no thread blocks in epoll_wait: a blocked thread makes the runtime
	// hand its processor to another and poll for it far more often.
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("epoll set: %w", err)
	}
	file := os.NewFile(uintptr(ep), "preview-epoll")
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("epoll set: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		file.Close()
		unix.Close(wake)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	l := &loop{s: srv, ep: ep, epFile: file, epRaw: raw, wake: wake, done: make(chan struct{}), byFD: make(map[int32]*pair), rbuf: make([]byte, LoopAnswerMax)}
	l.parse = bufio.NewReaderSize(&l.src, LoopAnswerMax)
	return l, nil
}

// adopt gives the loop a pair; false when it is closing (the caller still
// owns the descriptors).
func (l *loop) adopt(pr *pair) bool {
	l.mu.Lock()
	if l.quit {
		l.mu.Unlock()
		return false
	}
	l.inbox = append(l.inbox, pr)
	l.mu.Unlock()
	l.poke()
	return true
}

func (l *loop) poke() {
	one := [8]byte{1}
	_, _ = unix.Write(l.wake, one[:])
}

func (l *loop) close() {
	l.mu.Lock()
	l.quit = true
	l.mu.Unlock()
	l.poke()
	<-l.done
}

func (l *loop) run() {
	defer close(l.done)
	// The sweep needs the loop awake now and then, busy or not.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	go func() {
		for {
			select {
			case <-tick.C:
				l.poke()
			case <-l.done:
				return
			}
		}
	}()
	events := make([]unix.EpollEvent, 256)
	for {
		var n int
		var werr error
		err := l.epRaw.Read(func(fd uintptr) bool {
			n, werr = rawEpollPoll(int(fd), events)
			return n > 0 || (werr != nil && !errors.Is(werr, unix.EINTR))
		})
		if err == nil {
			err = werr
		}
		if err != nil {
			l.s.log.Error("event loop failed; its connections are closed", "err", err)
			l.shut()
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(l.wake) {
				if !l.takeInbox() {
					l.shut()
					return
				}
				continue
			}
			pr := l.byFD[ev.Fd]
			if pr == nil {
				continue // closed by an earlier event of this round
			}
			if int(ev.Fd) == pr.client {
				l.clientEvent(pr, ev.Events)
			} else {
				l.backendEvent(pr, ev.Events)
			}
		}
		if now := time.Now(); now.Sub(l.swept) >= time.Second {
			l.sweep(now)
		}
	}
}

// takeInbox registers the pairs adopted since; false when closing.
func (l *loop) takeInbox() bool {
	var b [8]byte
	_, _ = unix.Read(l.wake, b[:])
	l.mu.Lock()
	inbox, quit := l.inbox, l.quit
	l.inbox = nil
	l.mu.Unlock()
	for _, pr := range inbox {
		if hook := l.s.AdoptHook; hook != nil {
			hook(pr.client)
		}
		if quit {
			unix.Close(pr.client)
			unix.Close(pr.backend)
			continue
		}
		if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, pr.client, &unix.EpollEvent{Events: edgeEvents, Fd: int32(pr.client)}); err != nil {
			unix.Close(pr.client)
			unix.Close(pr.backend)
			continue
		}
		if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, pr.backend, &unix.EpollEvent{Events: edgeEvents, Fd: int32(pr.backend)}); err != nil {
			_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, pr.client, nil)
			unix.Close(pr.client)
			unix.Close(pr.backend)
			continue
		}
		l.byFD[int32(pr.client)] = pr
		l.byFD[int32(pr.backend)] = pr
	}
	return !quit
}

// shut closes every pair and the loop's own descriptors.
func (l *loop) shut() {
	l.mu.Lock()
	l.quit = true
	inbox := l.inbox
	l.inbox = nil
	l.mu.Unlock()
	for fd, pr := range l.byFD {
		if int(fd) == pr.client {
			l.drop(pr)
		}
	}
	for _, pr := range inbox {
		unix.Close(pr.client)
		unix.Close(pr.backend)
	}
	l.epFile.Close()
	unix.Close(l.wake)
}

// sweep closes pairs idle past the idle timeout, or stuck in a partial
// head past the header timeout, and hands a slow answer to a goroutine,
// which bounds the wait (Config.AnswerTimeout).
func (l *loop) sweep(now time.Time) {
	l.swept = now
	for fd, pr := range l.byFD {
		if int(fd) != pr.client || len(pr.pending) > 0 {
			continue
		}
		if pr.req != nil {
			if now.Sub(pr.sent) > loopWaitMax {
				l.handBackMid(pr, "a slow answer")
			}
			continue
		}
		limit := pr.ic.opts.IdleTimeout
		if len(pr.in) > 0 {
			limit = pr.ic.opts.HeaderTimeout
		}
		if now.Sub(pr.since) > limit {
			l.drop(pr)
		}
	}
}

// drop closes both connections of a pair.
func (l *loop) drop(pr *pair) {
	l.forget(pr)
	unix.Close(pr.client)
	if pr.backend >= 0 {
		unix.Close(pr.backend)
	}
}

// forget takes a pair's descriptors out of the loop, open.
func (l *loop) forget(pr *pair) {
	delete(l.byFD, int32(pr.client))
	_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, pr.client, nil)
	if pr.backend >= 0 {
		delete(l.byFD, int32(pr.backend))
		_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, pr.backend, nil)
	}
}

// dropBackend closes the dev server side; the pair goes back to a
// goroutine at its next request.
func (l *loop) dropBackend(pr *pair) {
	delete(l.byFD, int32(pr.backend))
	_ = unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, pr.backend, nil)
	unix.Close(pr.backend)
	pr.backend = -1
}

func (l *loop) clientEvent(pr *pair, events uint32) {
	if events&unix.EPOLLOUT != 0 && len(pr.pending) > 0 {
		l.flush(pr)
		if l.byFD[int32(pr.client)] != pr {
			return // closed or handed back
		}
	}
	if events&(unix.EPOLLIN|hangUp) == 0 {
		return
	}
	for {
		if len(pr.in) >= 2*headBuffer {
			l.drop(pr) // far more sent ahead than a browser does
			return
		}
		n, err := rawRead(pr.client, l.rbuf[:headBuffer])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if n <= 0 {
			l.drop(pr) // the browser closed, or its connection failed
			return
		}
		if len(pr.in) == 0 {
			pr.since = time.Now()
		}
		pr.in = append(pr.in, l.rbuf[:n]...)
		if n < headBuffer {
			break
		}
	}
	if events&hangUp != 0 {
		// The browser will send nothing more: like the HTTP server, take
		// that as leaving.
		l.drop(pr)
		return
	}
	l.next(pr)
}

// next starts the next request, when the pair is idle and one is here.
func (l *loop) next(pr *pair) {
	if pr.req != nil || len(pr.pending) > 0 || len(pr.in) == 0 {
		return
	}
	end := headEnd(pr.in)
	switch {
	case end == 0 && len(pr.in) < headBuffer:
		return // the rest of the head is on its way
	case end <= 0:
		l.handBack(pr, "a large or bare-LF request head") // too large, or bare LF lines: the server reads it
		return
	}
	req, key, ok := l.plain(pr.in[:end])
	if !ok || pr.backend < 0 || key != pr.key {
		l.handBack(pr, "a request the loop does not answer")
		return
	}
	out := &l.out
	out.Reset()
	writeRequest(out, req, outboundFor(req, pr.remoteIP))
	if n, err := rawWrite(pr.backend, out.Bytes()); n != out.Len() {
		// A kept connection has room for a request head; a failed write is
		// a dev server that closed it. Nothing was sent: a goroutine sends
		// the request on a new connection.
		_ = err
		l.dropBackend(pr)
		l.handBack(pr, "the dev server connection failed")
		return
	}
	pr.raw = append(pr.raw[:0], pr.in[:end]...)
	if end == len(pr.in) {
		pr.in = pr.in[:0] // the usual case: keep the buffer
	} else {
		pr.in = pr.in[end:]
	}
	pr.keep = !req.Close
	req.Close = false
	pr.req = req // its context is set if it goes back to a goroutine
	pr.sent = time.Now()
	l.s.fastCount.Add(1)
	l.s.loopCount.Add(1)
}

// plain parses head and runs the fast path's test and checks, from
// memory only.
func (l *loop) plain(head []byte) (*http.Request, string, bool) {
	l.src.Reset(head)
	l.parse.Reset(&l.src)
	return l.s.admit(l.parse, true)
}

// writeRequest writes the request head the dev server gets: the path as
// the browser sent it, the preview Host, hdr.
func writeRequest(w *bytes.Buffer, req *http.Request, hdr http.Header) {
	if ua, ok := hdr["User-Agent"]; ok && len(ua) == 1 && ua[0] == "" {
		delete(hdr, "User-Agent") // none was sent: none is added
	}
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.RequestURI)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(req.Host)
	w.WriteString("\r\n")
	_ = hdr.Write(w)
	w.WriteString("\r\n")
}

func (l *loop) backendEvent(pr *pair, events uint32) {
	eof := false
	for {
		n, err := rawRead(pr.backend, l.rbuf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if pr.req == nil {
			// Idle: the dev server closed its side, or sent what nobody
			// asked for. Either way the connection is done.
			l.dropBackend(pr)
			return
		}
		if n <= 0 {
			eof = true
			break
		}
		pr.ans = append(pr.ans, l.rbuf[:n]...)
		if len(pr.ans) > LoopAnswerMax+headBuffer {
			break // more than the loop holds: answer hands it back
		}
		if n < len(l.rbuf) {
			eof = events&hangUp != 0
			break
		}
	}
	if pr.req == nil {
		return
	}
	if eof && len(pr.ans) == 0 {
		// Closed before answering: the kept connection was dead when the
		// request went out. It is sent again on a new one.
		pr.in = append(pr.raw[:len(pr.raw):len(pr.raw)], pr.in...)
		pr.req = nil
		l.dropBackend(pr)
		l.handBack(pr, "the dev server closed a kept connection")
		return
	}
	if !l.answer(pr) && eof {
		// Cut short: a goroutine passes on what came, as the other paths
		// do, then closes, which is all the browser can be told.
		l.handBackMid(pr, "an answer cut short")
		return
	}
	if eof && l.byFD[int32(pr.client)] == pr && pr.backend >= 0 {
		l.dropBackend(pr)
	}
}

// answer writes the answer once it is whole, or hands the pair back when
// it cannot be held whole; false while more of it is to come.
func (l *loop) answer(pr *pair) bool {
	if pr.resp == nil {
		end := headEnd(pr.ans)
		switch {
		case end == 0 && len(pr.ans) < LoopAnswerMax:
			return false
		case end <= 0:
			l.handBackMid(pr, "a large or bare-LF answer head")
			return true
		}
		l.src.Reset(pr.ans[:end])
		l.parse.Reset(&l.src)
		resp, err := http.ReadResponse(l.parse, pr.req)
		if err != nil || resp.StatusCode < 200 || len(resp.TransferEncoding) > 0 {
			l.handBackMid(pr, "an answer of another kind")
			return true
		}
		total := end
		// The router's headers are the project's as it is now; a
		// goroutine asks when memory has nothing fresh.
		body, fresh := prepareAnswer(pr.req, resp, l.s.router, true)
		if !fresh {
			l.handBackMid(pr, "a project not in memory")
			return true
		}
		switch body {
		case bodyChunked:
			l.handBackMid(pr, "an answer of unknown length")
			return true
		case bodyLength:
			if resp.ContentLength > int64(LoopAnswerMax-end) {
				l.handBackMid(pr, "a large answer")
				return true
			}
			total += int(resp.ContentLength)
		}
		// Held for the reads still to come.
		pr.resp, pr.headLen, pr.total = resp, end, total
	}
	if len(pr.ans) < pr.total {
		return false
	}
	resp, end, total := pr.resp, pr.headLen, pr.total
	pr.resp, pr.req, pr.raw = nil, nil, pr.raw[:0]
	if len(pr.ans) > total || resp.Close {
		l.dropBackend(pr) // bytes past the answer were never asked for
	}
	l.head.Reset()
	writeHead(&l.head, resp.StatusCode, resp.Header, bodyLength, pr.keep)
	head, body := l.head.Bytes(), pr.ans[end:total]
	n, err := rawWritev(pr.client, head, body)
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		l.drop(pr)
		return true
	}
	if n = max(n, 0); n < len(head)+len(body) {
		pr.pending = append(append(make([]byte, 0, len(head)+len(body)), head...), body...)[n:]
	}
	pr.ans = pr.ans[:0]
	l.written(pr)
	return true
}

// flush writes what the browser has not taken yet.
func (l *loop) flush(pr *pair) {
	n, err := rawWrite(pr.client, pr.pending)
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		l.drop(pr)
		return
	}
	pr.pending = pr.pending[max(n, 0):]
	l.written(pr)
}

// written goes on once an answer is out: wait for the browser to take
// the rest, close, or read the next request.
func (l *loop) written(pr *pair) {
	if len(pr.pending) > 0 {
		return // EPOLLOUT says when the browser takes more
	}
	pr.pending = nil
	if !pr.keep {
		l.drop(pr)
		return
	}
	pr.since = time.Now()
	l.next(pr)
}

// handBack returns an idle pair to a goroutine, with the bytes read of
// the browser's side.
func (l *loop) handBack(pr *pair, why string) {
	client, ok := l.release(pr, why)
	if !ok {
		return
	}
	if pr.backend >= 0 {
		if c, err := fdConn(pr.backend); err == nil {
			l.s.tr.put(newBackendConn(pr.key, c))
		}
	}
	fc := l.s.newFastConn(client, pr.ic, bytes.Clone(pr.in))
	go l.s.runConn(fc, false, nil)
}

// handBackMid returns a pair whose answer is under way to a goroutine,
// which reads the rest of it (after the bytes the loop read) and writes
// it as the fast path does.
func (l *loop) handBackMid(pr *pair, why string) {
	client, ok := l.release(pr, why)
	if !ok {
		return
	}
	backend, err := fdConn(pr.backend)
	if err != nil {
		l.s.log.Warn("handing a dev server connection back", "err", err)
		client.Close()
		return
	}
	req, keep := pr.req.WithContext(l.s.ctx), pr.keep
	bc := newBackendConn(pr.key, &earlyConn{Conn: backend, early: bytes.Clone(pr.ans)})
	fc := l.s.newFastConn(client, pr.ic, bytes.Clone(pr.in))
	go l.s.runConn(fc, false, func() (bool, string) {
		resp, err := l.s.tr.answer(bc, req, bc.endWith(req.Context()), nil, fc.waiter())
		if err != nil {
			bc.conn.Close()
		}
		return fc.reply(req, resp, err, keep), bc.key
	})
}

// release takes a pair out of the loop and gives its browser side as a
// net.Conn; on failure both sides are closed.
func (l *loop) release(pr *pair, why string) (net.Conn, bool) {
	l.s.log.Debug("event loop hands a connection back", "why", why)
	l.forget(pr)
	client, err := fdConn(pr.client)
	if err != nil {
		l.s.log.Warn("handing a preview connection back", "err", err)
		if pr.backend >= 0 {
			unix.Close(pr.backend)
		}
		return nil, false
	}
	return client, true
}

// fdConn makes a net.Conn of a descriptor the loop held, and closes the
// descriptor (the conn has its own).
func fdConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "preview")
	defer f.Close()
	return net.FileConn(f)
}

// dupConn returns a descriptor of c's socket, for a loop; c itself is
// then closed by the caller. Only plain TCP and Unix connections qualify.
func dupConn(c net.Conn) (int, error) {
	if ec, ok := c.(*earlyConn); ok && ec.drained() {
		c = ec.Conn
	}
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return -1, errors.ErrUnsupported
	}
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := raw.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return -1, cerr
	}
	return fd, err
}

// moveToLoop moves the connection, with the idle dev server connection
// just used for key, to an event loop.
func (fc *fastConn) moveToLoop(key string) bool {
	if fc.br.Buffered() > 0 || len(fc.in.early) > 0 {
		return false
	}
	l := fc.s.eventLoop()
	if l == nil {
		return false
	}
	bc := fc.s.tr.take(key)
	if bc == nil {
		return false
	}
	if bc.br.Buffered() > 0 {
		bc.conn.Close()
		return false
	}
	cfd, err := dupConn(fc.c)
	if err != nil {
		fc.s.tr.put(bc)
		return false
	}
	bfd, err := dupConn(bc.conn)
	if err != nil {
		unix.Close(cfd)
		fc.s.tr.put(bc)
		return false
	}
	pr := &pair{client: cfd, backend: bfd, key: key, remoteIP: fc.remoteIP, ic: fc.ic, since: time.Now()}
	if !l.adopt(pr) {
		unix.Close(cfd)
		unix.Close(bfd)
		fc.s.tr.put(bc)
		return false
	}
	fc.c.Close()
	bc.conn.Close()
	return true
}
