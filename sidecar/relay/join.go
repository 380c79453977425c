package relay

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
)

// bufSize is the copy buffer, taken from a pool only while bytes move.
const bufSize = 32 << 10

var bufs = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// Join copies bytes both ways between a and b until both directions have
// ended, then closes both. End of input on one side is passed on as a
// half-close (CloseWrite) of the other, so a protocol that half-closes
// works; an error in either direction closes both at once. An idle
// direction waits for the socket to become readable without holding a
// buffer, which keeps a held WebSocket down to its two goroutines.
func Join(a, b net.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(b, a)
	}()
	pipe(a, b)
	<-done
	a.Close()
	b.Close()
}

// pipe copies src to dst until src ends.
func pipe(dst, src net.Conn) {
	err := copyIdleFree(dst, src)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	// An error (or a connection that cannot half-close) ends both
	// directions: the other one may be blocked reading.
	dst.Close()
	src.Close()
}

// copyIdleFree copies src to dst and returns nil at src's end of input.
// When src exposes its file descriptor, a buffer is held only between a
// read that found bytes and the write that passes them on.
func copyIdleFree(dst, src net.Conn) error {
	sc, ok := src.(syscall.Conn)
	if !ok {
		return copyBuffered(dst, src)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return copyBuffered(dst, src)
	}
	for {
		var (
			buf  *[]byte
			n    int
			rerr error
		)
		err := raw.Read(func(fd uintptr) bool {
			b := bufs.Get().(*[]byte)
			for {
				n, rerr = syscall.Read(int(fd), *b)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				bufs.Put(b)
				return false // wait for readability, holding nothing
			}
			buf = b
			return true
		})
		if err != nil {
			if buf != nil {
				bufs.Put(buf)
			}
			return err
		}
		if rerr != nil {
			bufs.Put(buf)
			return rerr
		}
		if n == 0 {
			bufs.Put(buf)
			return nil // end of input
		}
		_, werr := dst.Write((*buf)[:n])
		bufs.Put(buf)
		if werr != nil {
			return werr
		}
	}
}

func copyBuffered(dst, src net.Conn) error {
	b := bufs.Get().(*[]byte)
	defer bufs.Put(b)
	_, err := io.CopyBuffer(writerOnly{dst}, src, *b)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// writerOnly hides ReadFrom, so io.CopyBuffer uses the pooled buffer.
type writerOnly struct{ io.Writer }
