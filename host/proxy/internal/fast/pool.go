package fast

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// get returns a kept connection to key, or a new one. check asks for a kept
// connection to be tested first (a request with a body cannot be sent
// twice).
func (t *Transport) get(ctx context.Context, key string, check bool) (*backendConn, bool, error) {
	for {
		c := t.take(key)
		if c == nil {
			break
		}
		if !check || c.alive() {
			return c, true, nil
		}
		c.conn.Close()
	}
	conn, err := t.dial(ctx, "tcp", key)
	if err != nil {
		return nil, false, err
	}
	return newBackendConn(key, conn), false, nil
}

// take pops the most recently used connection to key; nil when none is
// kept or the newest has been idle too long (the reaper closes the rest).
func (t *Transport) take(key string) *backendConn {
	t.mu.Lock()
	list := t.idle[key]
	if len(list) == 0 {
		t.mu.Unlock()
		return nil
	}
	c := list[len(list)-1]
	list[len(list)-1] = nil
	t.idle[key] = list[:len(list)-1]
	t.mu.Unlock()
	if time.Since(c.idleAt) > t.idleTimeout {
		c.conn.Close()
		return nil
	}
	return c
}

// put keeps c for the next request, within the limits.
func (t *Transport) put(c *backendConn) {
	c.idleAt = time.Now()
	t.mu.Lock()
	if t.closed || len(t.idle[c.key]) >= t.maxIdle || c.br.Buffered() > 0 {
		// Bytes after the end of an answer were never asked for.
		t.mu.Unlock()
		c.conn.Close()
		return
	}
	t.idle[c.key] = append(t.idle[c.key], c)
	if t.reaper == nil {
		t.reaper = time.AfterFunc(t.idleTimeout, t.reap)
	}
	t.mu.Unlock()
}

// reap closes connections idle longer than idleTimeout, and runs again
// while any are kept.
func (t *Transport) reap() {
	t.mu.Lock()
	var stale []*backendConn
	for key, list := range t.idle {
		kept := list[:0]
		for _, c := range list {
			if time.Since(c.idleAt) > t.idleTimeout {
				stale = append(stale, c)
			} else {
				kept = append(kept, c)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(t.idle, key)
		} else {
			t.idle[key] = kept
		}
	}
	t.reaper = nil
	if len(t.idle) > 0 && !t.closed {
		t.reaper = time.AfterFunc(t.idleTimeout/2, t.reap)
	}
	t.mu.Unlock()
	for _, c := range stale {
		c.conn.Close()
	}
}

// CloseIdle closes every kept connection; with closing set, no more are
// kept.
func (t *Transport) CloseIdle(closing bool) {
	t.mu.Lock()
	all := t.idle
	t.idle = make(map[string][]*backendConn)
	t.closed = t.closed || closing
	t.mu.Unlock()
	for _, list := range all {
		for _, c := range list {
			c.conn.Close()
		}
	}
}

// alive reports whether a kept connection is still open and quiet: the dev
// server may have closed it (Node closes idle ones after 5 s).
func (c *backendConn) alive() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	open := true
	_ = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && errors.Is(err, syscall.EAGAIN)
		return true
	})
	return open
}
