package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/api/wire"
)

// apiClient talks to the daemon's API: over its unix socket (file
// permissions decide who may), or over TCP at addr with the token.
type apiClient struct {
	addr   string // host:port, when over TCP
	socket string // the socket's path, when over the socket
	token  string
	http   *http.Client
}

// apiError is the daemon's refusal: its message names the bad value.
type apiError struct {
	Status  int
	Message string `json:"error"`
	Field   string `json:"field"`
}

func (e *apiError) Error() string { return e.Message }

// errDaemonDown is returned when nothing answers at the daemon's address.
var errDaemonDown = errors.New("the Warden daemon is not running")

func newAPIClient(addr, token string) *apiClient {
	return &apiClient{addr: addr, token: token, http: &http.Client{}}
}

// newSocketClient talks to the daemon over the unix socket at path.
func newSocketClient(path string) *apiClient {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	return &apiClient{socket: path, http: &http.Client{Transport: &http.Transport{DialContext: dial}}}
}

// where names the daemon's address in messages.
func (c *apiClient) where() string {
	if c.socket != "" {
		return c.socket
	}
	return c.addr
}

func (c *apiClient) url(path string) string {
	if c.socket != "" {
		return "http://localhost/api/v1" + path
	}
	return "http://" + c.addr + "/api/v1" + path
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the daemon's answer to %s %s: %w", method, path, err)
	}
	return nil
}

func (c *apiClient) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, err
	}
	if c.socket == "" {
		req.Host = "localhost:" + portOf(c.addr)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.callError(err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, c.refusal(method, path, resp)
	}
	return resp, nil
}

// callError says why a call reached no daemon.
func (c *apiClient) callError(err error) error {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial" && errors.Is(err, os.ErrPermission):
		return fmt.Errorf("calling the daemon at %s: permission denied; the socket is for the daemon's user and the group %q "+
			"(ask for that group, run as the daemon's user, or use --addr with the token in WARDEN_TOKEN)", c.socket, wire.DefaultSocketGroup)
	case errors.As(err, &op) && op.Op == "dial":
		return fmt.Errorf("%w at %s (start it with `warden serve` or `make run`): %v", errDaemonDown, c.where(), op.Err)
	}
	return fmt.Errorf("calling the daemon at %s: %w", c.where(), err)
}

// refusal is the daemon's answer of 300 or more as an *apiError.
func (c *apiClient) refusal(method, path string, resp *http.Response) *apiError {
	e := &apiError{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, e) != nil || e.Message == "" {
		e.Message = fmt.Sprintf("%s %s: %s %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if resp.StatusCode == http.StatusUnauthorized && c.socket == "" && c.token == "" {
		e.Message += " (no token: set WARDEN_TOKEN, or is --data the daemon's data folder?)"
	}
	return e
}

// stream reads newline-delimited JSON values from a GET until ctx ends or
// the daemon closes the stream.
func (c *apiClient) stream(ctx context.Context, path string, each func(json.RawMessage) error) error {
	resp, err := c.send(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := each(json.RawMessage(line)); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "8090"
	}
	return port
}

// callTimeout bounds ordinary calls; starting a project can take a while
// (the sidecar must be ready before the agent starts).
const callTimeout = 2 * time.Minute
