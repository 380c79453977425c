package kube

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/streaming/pkg/httpstream"
)

// errStreamWait bounds the wait, once the data stream has ended, for the
// error stream's verdict. The kubelet closes both together; a lost close
// frame must not hold a read.
const errStreamWait = 2 * time.Second

// forwardConn is one port-forward of a pod's port as a net.Conn: a data
// stream and an error stream (the kubelet's verdict) on the pod's shared
// streaming connection.
//
// Port-forward says nothing when the kubelet's connection to the port
// succeeds, so a port where nothing listens shows at the first read or
// write: the error stream then carries the kubelet's "connection refused",
// and the conn's reads and writes fail with an error matching
// syscall.ECONNREFUSED, as a socket's connect would. Any other verdict
// (the pod gone, the forward broken) is a plain error; it, and a refusal
// after bytes were written, mark the pod's connection for replacement
// (onBroken).
//
// Streams have no deadlines; the reads go through a pump goroutine so
// that a read deadline ends a blocked Read. A write blocked past its
// deadline ends when the conn is closed.
type forwardConn struct {
	link       httpstream.Connection
	data, errs httpstream.Stream
	local      net.Addr
	remote     net.Addr
	port       int
	// onBroken is called when the kubelet reports an error other than a
	// refused port, or a refused port after bytes were written; onClose
	// once the conn is closed.
	onBroken, onClose func()
	// judge orders the verdict against the first write: either the first
	// write comes first (wrote), and a refusal then marks the link broken,
	// or the verdict does (judged), and nothing is written.
	judge  sync.Mutex
	wrote  bool
	judged bool

	// chunks carries what the pump read; the pump waits on free before it
	// reads into its buffer again.
	chunks chan chunk
	free   chan struct{}
	// verdict is the error stream's message once it has ended ("" when
	// the forward ended well); verdictErr when reading it failed.
	verdictDone chan struct{}
	verdict     string
	verdictErr  error

	rmu     sync.Mutex // one Read at a time
	pending []byte
	rerr    error // sticky, once the stream has ended

	rdl, wdl  *deadline
	closeOnce sync.Once
	closed    chan struct{}
}

type chunk struct {
	b   []byte
	err error
}

const pumpBuffer = 32 << 10

func newForwardConn(link httpstream.Connection, data, errs httpstream.Stream, local, remote net.Addr, port int, onBroken, onClose func()) *forwardConn {
	c := &forwardConn{
		link: link, data: data, errs: errs, local: local, remote: remote, port: port, onBroken: onBroken, onClose: onClose,
		chunks:      make(chan chunk),
		free:        make(chan struct{}),
		verdictDone: make(chan struct{}),
		closed:      make(chan struct{}),
		rdl:         newDeadline(),
		wdl:         newDeadline(),
	}
	go c.readVerdict()
	go c.pump()
	return c
}

// readVerdict reads the error stream to its end.
func (c *forwardConn) readVerdict() {
	msg, err := io.ReadAll(io.LimitReader(c.errs, 64<<10))
	c.judge.Lock()
	c.verdict, c.verdictErr = strings.TrimSpace(string(msg)), err
	c.judged = true
	wrote := c.wrote
	c.judge.Unlock()
	// A kubelet that refused the port never reads its data stream: bytes
	// written there stay queued in its side of the shared connection and
	// hold back other streams behind them (kubectl drops the whole
	// connection on any forward error for this reason). The link is then
	// replaced for new forwards: marked before anyone learns the verdict,
	// so that the next forward, opened once this one was refused, never
	// goes on the held link.
	if c.verdict != "" && (!refused(c.verdict) || wrote) && c.onBroken != nil {
		c.onBroken()
	}
	close(c.verdictDone)
}

// pump reads the data stream for Read, one buffer at a time.
func (c *forwardConn) pump() {
	buf := make([]byte, pumpBuffer)
	for {
		n, err := c.data.Read(buf)
		if n > 0 {
			select {
			case c.chunks <- chunk{b: buf[:n]}:
			case <-c.closed:
				return
			}
			select {
			case <-c.free:
			case <-c.closed:
				return
			}
		}
		if err != nil {
			select {
			case c.chunks <- chunk{err: c.endOf(err)}:
			case <-c.closed:
			}
			return
		}
	}
}

// endOf is the error a stream's end stands for: the kubelet's verdict when
// it gave one, else err (io.EOF at a clean end).
func (c *forwardConn) endOf(err error) error {
	select {
	case <-c.verdictDone:
	case <-c.closed:
		return net.ErrClosed
	case <-time.After(errStreamWait):
		return err
	}
	if v := c.verdictError(); v != nil {
		return v
	}
	return err
}

// verdictError is the kubelet's verdict as an error; nil when it has not
// spoken (yet) or ended well.
func (c *forwardConn) verdictError() error {
	select {
	case <-c.verdictDone:
	default:
		return nil
	}
	switch {
	case c.verdict != "" && refused(c.verdict):
		return fmt.Errorf("port-forward to port %d: %s: %w", c.port, c.verdict, syscall.ECONNREFUSED)
	case c.verdict != "":
		return fmt.Errorf("port-forward to port %d: %s", c.port, c.verdict)
	case c.verdictErr != nil && !errors.Is(c.verdictErr, io.EOF):
		return fmt.Errorf("port-forward to port %d: reading its error stream: %w", c.port, c.verdictErr)
	}
	return nil
}

// refused tells the kubelet's words for a port nothing listens on.
func refused(verdict string) bool { return strings.Contains(verdict, "connection refused") }

func (c *forwardConn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.pending) == 0 {
		if c.rerr != nil {
			return 0, c.rerr
		}
		select {
		case <-c.closed:
			return 0, net.ErrClosed
		default:
		}
		select {
		case ch := <-c.chunks:
			if ch.err != nil {
				c.rerr = ch.err
				return 0, ch.err
			}
			c.pending = ch.b
		case <-c.rdl.wait():
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			return 0, net.ErrClosed
		}
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	if len(c.pending) == 0 {
		c.pending = nil
		select {
		case c.free <- struct{}{}:
		case <-c.closed:
		}
	}
	return n, nil
}

func (c *forwardConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	case <-c.wdl.wait():
		return 0, os.ErrDeadlineExceeded
	default:
	}
	// Either this write is seen by readVerdict, or the verdict came first
	// and is reported here, with nothing written.
	c.judge.Lock()
	judged := c.judged
	if !judged {
		c.wrote = true
	}
	c.judge.Unlock()
	if judged {
		<-c.verdictDone
		if err := c.verdictError(); err != nil {
			return 0, err
		}
	}
	n, err := c.data.Write(b)
	if err != nil {
		if v := c.verdictError(); v != nil {
			return n, v
		}
		return n, fmt.Errorf("port-forward to port %d: %w", c.port, err)
	}
	return n, nil
}

// CloseWrite half-closes: the pod's side sees the end of input. (The
// kubelet's forward may end both directions soon after.)
func (c *forwardConn) CloseWrite() error { return c.data.Close() }

// Close resets both streams, which ends the forward at the pod's side, and
// takes them off the shared connection.
func (c *forwardConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		_ = c.data.Reset()
		_ = c.errs.Reset()
		c.link.RemoveStreams(c.data, c.errs)
		if c.onClose != nil {
			c.onClose()
		}
	})
	return nil
}

func (c *forwardConn) LocalAddr() net.Addr  { return c.local }
func (c *forwardConn) RemoteAddr() net.Addr { return c.remote }

func (c *forwardConn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

func (c *forwardConn) SetReadDeadline(t time.Time) error  { c.rdl.set(t); return nil }
func (c *forwardConn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// forwardAddr names one end of a port-forward.
type forwardAddr string

func (forwardAddr) Network() string  { return "kube-port-forward" }
func (a forwardAddr) String() string { return string(a) }

// deadline is a channel closed once a time has passed (net.Pipe's way).
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{}
}

func newDeadline() *deadline { return &deadline{cancel: make(chan struct{})} }

// set arms the deadline at t; the zero time disarms it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: its close is done or under way
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

// wait returns a channel closed once the deadline has passed.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
