package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/relay"
)

// maxAnswerBytes caps how much of a (non-stream) answer the client reads.
const maxAnswerBytes = 16 << 20

var (
	// ErrUnreachable marks a failure to connect to the control socket: the
	// sidecar is not running yet, has stopped, or the path is wrong.
	ErrUnreachable = errors.New("sidecar control socket not reachable")
	// ErrBadPolicy marks a policy the sidecar refused as invalid (400) or
	// too large (413); nothing was applied.
	ErrBadPolicy = errors.New("sidecar refused the policy")
	// ErrStreamEnded marks a follow stream that the sidecar ended.
	ErrStreamEnded = errors.New("sidecar ended the event stream")
)

// Client talks to one sidecar's control socket. It is safe for concurrent
// use. Every call is bounded only by its context.
type Client struct {
	path string
	http *http.Client
}

// NewClient returns a client for the control socket at socketPath. Nothing
// is dialled until the first call.
func NewClient(socketPath string) *Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, "unix", socketPath)
			if err != nil {
				// The path is in our own message; keep only the cause.
				var opErr *net.OpError
				if errors.As(err, &opErr) {
					err = opErr.Err
				}
				return nil, &unreachableError{path: socketPath, err: err}
			}
			return c, nil
		},
		MaxIdleConns:       2,
		IdleConnTimeout:    30 * time.Second,
		DisableCompression: true,
	}
	return &Client{path: socketPath, http: &http.Client{Transport: transport}}
}

// Healthz checks that the sidecar answers.
func (c *Client) Healthz(ctx context.Context) error {
	resp, err := c.send(ctx, http.MethodGet, "/healthz", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	if err != nil {
		return fmt.Errorf("reading sidecar health on %s: %w", c.path, err)
	}
	if got := strings.TrimSpace(string(body)); got != "ok" {
		return fmt.Errorf("sidecar health on %s: answered %q, expected \"ok\"", c.path, got)
	}
	return nil
}

// Status returns the sidecar's status.
func (c *Client) Status(ctx context.Context) (shared.Status, error) {
	var st shared.Status
	err := c.call(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// PutPolicy asks the sidecar to enforce p. A refused policy returns an
// *APIError that matches ErrBadPolicy with errors.Is and carries the
// sidecar's message naming the bad entry.
func (c *Client) PutPolicy(ctx context.Context, p shared.Policy) (shared.ApplyResult, error) {
	var res shared.ApplyResult
	err := c.call(ctx, http.MethodPut, "/v1/policy", p, &res)
	return res, err
}

// Listening lists the TCP ports listening in the sidecar's namespace (the
// agent's dev servers), the sidecar's own left out.
func (c *Client) Listening(ctx context.Context) ([]shared.ListeningPort, error) {
	var ports []shared.ListeningPort
	err := c.call(ctx, http.MethodGet, "/v1/listening", nil, &ports)
	return ports, err
}

// Events returns up to limit recent events, oldest first; limit <= 0 means
// all the sidecar holds.
func (c *Client) Events(ctx context.Context, limit int) ([]shared.Event, error) {
	route := "/v1/events"
	if limit > 0 {
		route += "?limit=" + strconv.Itoa(limit)
	}
	var evs []shared.Event
	err := c.call(ctx, http.MethodGet, route, nil, &evs)
	return evs, err
}

// Follow calls fn with every event the sidecar holds and then with each new
// one as it is recorded, on the calling goroutine, until ctx ends (Follow
// then returns nil) or the stream breaks (an error; ErrStreamEnded when the
// sidecar closed it). A follower that falls far behind misses events rather
// than slowing the sidecar down.
func (c *Client) Follow(ctx context.Context, fn func(shared.Event)) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/events?follow=1", nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var e shared.Event
		if err := dec.Decode(&e); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("following events on %s: %w", c.path, ErrStreamEnded)
			}
			return fmt.Errorf("following events on %s: %w", c.path, err)
		}
		fn(e)
	}
}

// call sends in (when not nil) as JSON and decodes a 200 answer into out.
func (c *Client) call(ctx context.Context, method, route string, in, out any) error {
	resp, err := c.send(ctx, method, route, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(out); err != nil {
		return fmt.Errorf("decoding sidecar answer to %s %s on %s: %w", method, route, c.path, err)
	}
	return nil
}

// send performs one request and returns the response when the status is
// 200; otherwise it returns an error and closes the body.
func (c *Client) send(ctx context.Context, method, route string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s request: %w", method, route, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://warden-sidecar"+route, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s request: %w", method, route, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var unreachable *unreachableError
		if errors.As(err, &unreachable) {
			return nil, unreachable
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("calling sidecar %s %s on %s: %w", method, route, c.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, readAPIError(resp, method, route)
	}
	return resp, nil
}

// APIError is an answer other than 200 from the sidecar.
type APIError struct {
	Method     string
	Route      string
	StatusCode int
	// Message is the sidecar's {"error"} text, or the start of the body
	// when it sent something else.
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sidecar answered %s %s with %d %s: %s",
		e.Method, e.Route, e.StatusCode, http.StatusText(e.StatusCode), e.Message)
}

// Unwrap makes a refused policy match ErrBadPolicy, and a refused relay
// relay.ErrNotListening or relay.ErrRefusedPort.
func (e *APIError) Unwrap() error {
	switch {
	case e.Method == http.MethodPut && e.Route == "/v1/policy" &&
		(e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusRequestEntityTooLarge):
		return ErrBadPolicy
	case e.Route == "/v1/relay" && e.StatusCode == http.StatusBadGateway:
		return relay.ErrNotListening
	case e.Route == "/v1/relay" && e.StatusCode == http.StatusForbidden:
		return relay.ErrRefusedPort
	}
	return nil
}

func readAPIError(resp *http.Response, method, route string) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(raw))
	var body errorBody
	if json.Unmarshal(raw, &body) == nil && body.Error != "" {
		msg = body.Error
	}
	if len(msg) > 1024 {
		msg = msg[:1024] + "…"
	}
	return &APIError{Method: method, Route: route, StatusCode: resp.StatusCode, Message: msg}
}

// unreachableError is a failure to connect to the socket.
type unreachableError struct {
	path string
	err  error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("sidecar control socket %s not reachable: %v", e.path, e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }
