package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// DialRelay connects, through the sidecar's control socket at socketPath,
// to port on the loopback of the sidecar's namespace, and returns the
// connection once the sidecar has dialled it. Errors match ErrUnreachable
// (no sidecar), relay.ErrNotListening (nothing on the port) or
// relay.ErrRefusedPort (the sidecar's own port); ctx bounds the whole
// exchange but not the connection returned.
func DialRelay(ctx context.Context, socketPath string, port int) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err
		}
		return nil, &unreachableError{path: socketPath, err: err}
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	route := "/v1/relay?port=" + strconv.Itoa(port)
	req := "GET " + route + " HTTP/1.1\r\nHost: warden-sidecar\r\nConnection: Upgrade\r\nUpgrade: " + RelayProtocol + "\r\n\r\n"
	br := bufio.NewReaderSize(c, 512)
	resp, err := func() (*http.Response, error) {
		if _, err := io.WriteString(c, req); err != nil {
			return nil, err
		}
		return http.ReadResponse(br, nil)
	}()
	if !stop() || err != nil {
		c.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, fmt.Errorf("asking sidecar %s to relay to port %d: %w", socketPath, port, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer c.Close()
		return nil, readAPIError(resp, http.MethodGet, "/v1/relay")
	}
	if br.Buffered() > 0 {
		// The dev server spoke first; its bytes must not be lost.
		return &bufferedConn{Conn: c, r: br}, nil
	}
	return c, nil
}

// bufferedConn reads what was buffered before the connection itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
