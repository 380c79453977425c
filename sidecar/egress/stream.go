package egress

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
)

// stream holds what the agent sent that the gate has read but not yet
// forwarded. Its buffer comes from a pool and goes back once a connection is
// past its checks, so an idle connection keeps none.
type stream struct {
	c   *net.TCPConn
	buf []byte // buf[off:] is pending
	off int
}

const streamChunk = 4 << 10

var streamPool = sync.Pool{New: func() any { b := make([]byte, 0, streamChunk); return &b }}

// errTooLong is a head or ClientHello over its limit.
var errTooLong = errors.New("over the size limit")

func (s *stream) pending() []byte { return s.buf[s.off:] }

// fill reads once more from the agent. max bounds what may be pending
// (0: no bound); reaching it is errTooLong.
func (s *stream) fill(max int) error {
	if s.buf == nil {
		s.buf = (*streamPool.Get().(*[]byte))[:0]
	}
	if max > 0 && len(s.pending()) >= max {
		return errTooLong
	}
	if s.off > 0 && s.off == len(s.buf) {
		s.buf, s.off = s.buf[:0], 0
	}
	if cap(s.buf)-len(s.buf) < 1024 {
		grown := make([]byte, len(s.buf)-s.off, 2*cap(s.buf))
		copy(grown, s.pending())
		s.put()
		s.buf, s.off = grown, 0
	}
	n, err := s.c.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

func (s *stream) consume(n int) { s.off += n }

// shrink gives the buffer back when nothing is pending, between requests.
func (s *stream) shrink() {
	if s.off == len(s.buf) {
		s.release()
	}
}

// release gives the buffer back; whatever was pending is dropped.
func (s *stream) release() {
	s.put()
	s.buf, s.off = nil, 0
}

func (s *stream) put() {
	if s.buf != nil && cap(s.buf) == streamChunk {
		b := s.buf[:0]
		streamPool.Put(&b)
	}
}

// head returns the next request head, up to and including its empty line,
// reading as needed. io.EOF with nothing pending is a clean end.
func (s *stream) head() ([]byte, error) {
	scanned := 0
	for {
		p := s.pending()
		if i := bytes.Index(p[max(scanned-3, 0):], []byte("\r\n\r\n")); i >= 0 {
			return p[:max(scanned-3, 0)+i+4], nil
		}
		// A line end without CR would never end the head: refuse it now
		// rather than wait for the head's deadline.
		for i := max(scanned, 0); i < len(p); i++ {
			if p[i] == '\n' && (i == 0 || p[i-1] != '\r') {
				return nil, errors.New("bare LF in the head")
			}
		}
		scanned = len(p)
		if err := s.fill(maxHead); err != nil {
			return nil, err
		}
	}
}

// forwardBody copies the body framed by rh to dst, exactly: a Content-Length
// body byte for byte (spliced once nothing is pending), a chunked body chunk
// by chunk, so the next request starts where the check expects it.
func (s *stream) forwardBody(dst *net.TCPConn, rh requestHead) error {
	switch rh.body {
	case bodyLength:
		return s.forwardN(dst, rh.length)
	case bodyChunked:
		return s.forwardChunks(dst)
	}
	return nil
}

func (s *stream) forwardN(dst *net.TCPConn, n int64) error {
	if p := s.pending(); len(p) > 0 {
		k := int(min(int64(len(p)), n))
		if _, err := dst.Write(p[:k]); err != nil {
			return err
		}
		s.consume(k)
		n -= int64(k)
	}
	if n == 0 {
		return nil
	}
	s.release()
	_, err := io.CopyN(dst, s.c, n)
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// maxChunkLine bounds a chunk-size line (size, extensions) and a trailer line.
const maxChunkLine = 4 << 10

func (s *stream) forwardChunks(dst *net.TCPConn) error {
	for {
		line, err := s.line()
		if err != nil {
			return fmt.Errorf("chunk size line: %w", err)
		}
		size, err := chunkSize(line)
		if err != nil {
			return err
		}
		if _, err := dst.Write(line); err != nil {
			return err
		}
		s.consume(len(line))
		if size == 0 {
			return s.forwardTrailers(dst)
		}
		if err := s.forwardN(dst, size); err != nil {
			return err
		}
		for len(s.pending()) < 2 {
			if err := s.fill(0); err != nil {
				return err
			}
		}
		if !bytes.HasPrefix(s.pending(), []byte("\r\n")) {
			return errors.New("chunk not followed by CRLF")
		}
		if _, err := dst.Write([]byte("\r\n")); err != nil {
			return err
		}
		s.consume(2)
	}
}

func (s *stream) forwardTrailers(dst *net.TCPConn) error {
	for {
		line, err := s.line()
		if err != nil {
			return fmt.Errorf("trailer line: %w", err)
		}
		if _, err := dst.Write(line); err != nil {
			return err
		}
		s.consume(len(line))
		if len(line) == 2 {
			return nil
		}
	}
}

// line returns the next CRLF-terminated line, CRLF included.
func (s *stream) line() ([]byte, error) {
	for {
		p := s.pending()
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			if i == 0 || p[i-1] != '\r' {
				return nil, errors.New("bare LF")
			}
			return p[:i+1], nil
		}
		if len(p) >= maxChunkLine {
			return nil, errTooLong
		}
		if err := s.fill(0); err != nil {
			return nil, err
		}
	}
}

// chunkSize reads the hexadecimal size at the start of a chunk-size line.
func chunkSize(line []byte) (int64, error) {
	l := bytes.TrimSuffix(line, []byte("\r\n"))
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i]
	}
	if len(l) == 0 || len(l) > 15 || len(bytes.Trim(l, "0123456789abcdefABCDEF")) > 0 {
		return 0, fmt.Errorf("chunk size %q", clip(string(l)))
	}
	n, err := strconv.ParseInt(string(l), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("chunk size %q", clip(string(l)))
	}
	return n, nil
}
