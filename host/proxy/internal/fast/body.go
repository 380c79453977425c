package fast

import (
	"errors"
	"io"
)

// backendBody is an answer's body; read to its end, it hands the
// connection back for the next request.
type backendBody struct {
	body     io.ReadCloser
	t        *Transport
	c        *backendConn
	stop     func() bool
	wrote    chan error // the request body's writer, when there is one
	reusable bool
	empty    bool
	done     bool
}

func (b *backendBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.body.Read(p)
	if err != nil {
		b.finish(errors.Is(err, io.EOF))
	}
	return n, err
}

func (b *backendBody) Close() error {
	b.finish(b.empty)
	return nil
}

// finish keeps the connection when the whole answer was read, the request
// was all written, and the request's context did not end meanwhile.
func (b *backendBody) finish(complete bool) {
	if b.done {
		return
	}
	b.done = true
	keep := b.stop() && complete && b.reusable
	if keep && b.wrote != nil {
		select {
		case err := <-b.wrote:
			keep = err == nil
		default:
			keep = false // the dev server answered before reading it all
		}
	}
	if keep {
		b.t.put(b.c)
		return
	}
	b.c.conn.Close()
}
