package fast

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rawBackend answers each connection with script, which reads requests
// from br and writes whatever it likes to c.
func rawBackend(t *testing.T, script func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	conns = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				script(c, bufio.NewReader(c))
			}()
		}
	}()
	return ln.Addr().String(), conns
}

// testID names a dev server, as host/proxy's keys do.
const testID = "a1b2c3d4e5f6"

// testConfig is host/proxy's default.
var testConfig = TransportConfig{MaxIdlePerPort: 128, IdleTimeout: 90 * time.Second, AnswerTimeout: 5 * time.Minute}

func testTransport(addr string) *Transport {
	return NewTransport(testConfig, func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	})
}

func roundTrip(t *testing.T, tr *Transport, method, body string) (*http.Response, string, error) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://"+testID+":8000/", r)
	require.NoError(t, err)
	req.Host = "preview.localhost"
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// answer reads one request (and its body) and writes an answer.
func answer(c net.Conn, br *bufio.Reader, resp string) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, req.Body)
	_, err = io.WriteString(c, resp)
	return err == nil
}

const okResp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

func TestBackendKeepsConnections(t *testing.T) {
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for answer(c, br, okResp) {
		}
	})
	tr := testTransport(addr)
	for range 10 {
		_, body, err := roundTrip(t, tr, "GET", "")
		require.NoError(t, err)
		require.Equal(t, "ok", body)
	}
	_, _, err := roundTrip(t, tr, "POST", "x=1")
	require.NoError(t, err)
	require.EqualValues(t, 1, conns.Load())
}

func TestBackendResendsWhenAKeptConnectionDied(t *testing.T) {
	// The dev server closes a connection that sat idle for 30 ms, as Node
	// does after 5 s.
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			if !answer(c, br, okResp) {
				return
			}
		}
	})
	tr := testTransport(addr)
	idle := func() { time.Sleep(150 * time.Millisecond) }
	_, _, err := roundTrip(t, tr, "GET", "")
	require.NoError(t, err)
	idle()
	_, body, err := roundTrip(t, tr, "GET", "")
	require.NoError(t, err, "a GET is sent again on a new connection")
	require.Equal(t, "ok", body)
	idle()
	_, body, err = roundTrip(t, tr, "POST", "not sent twice")
	require.NoError(t, err, "a kept connection is tested before a body is sent on it")
	require.Equal(t, "ok", body)
	idle()
	_, _, err = roundTrip(t, tr, "DELETE", "")
	require.NoError(t, err, "and before a request that may not be sent twice")
	require.EqualValues(t, 4, conns.Load())
}

func TestBackendSkipsInformationalAnswers(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		answer(c, br, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"+okResp)
	})
	resp, body, err := roundTrip(t, testTransport(addr), "POST", "data")
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, "ok", body)

	addr, _ = rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		answer(c, br, strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 10)+okResp)
	})
	_, _, err = roundTrip(t, testTransport(addr), "GET", "")
	require.ErrorContains(t, err, "informational")
}

func TestBackendBoundsTheAnswerHead(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Junk: " + strings.Repeat("a", 1000) + "\r\n"
		for range 2000 { // 2 MB of headers
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
	})
	_, _, err := roundTrip(t, testTransport(addr), "GET", "")
	require.ErrorContains(t, err, "larger than")
}

func TestBackendHearsAnEarlyAnswer(t *testing.T) {
	// The dev server refuses a large upload without reading it.
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 3\r\n\r\nbig")
		time.Sleep(200 * time.Millisecond)
	})
	tr := testTransport(addr)
	body := strings.Repeat("x", 32<<20)
	req, err := http.NewRequest("POST", "http://"+testID+":8000/upload", strings.NewReader(body))
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.Equal(t, 413, resp.StatusCode)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "big", string(b))
	tr.mu.Lock()
	require.Empty(t, tr.idle, "a connection whose request was not all sent is not kept")
	tr.mu.Unlock()
}

func TestBackendDropsConnectionsWithStrayBytes(t *testing.T) {
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for answer(c, br, okResp+"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged") {
		}
	})
	tr := testTransport(addr)
	for range 3 {
		_, body, err := roundTrip(t, tr, "GET", "")
		require.NoError(t, err)
		require.Equal(t, "ok", body, "never the unasked-for answer")
	}
	require.EqualValues(t, 3, conns.Load())
}

func TestBackendEndsWithTheRequest(t *testing.T) {
	started := make(chan struct{})
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n")
		close(started)
		time.Sleep(10 * time.Second) // then nothing: an idle stream
	})
	tr := testTransport(addr)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+testID+":8000/sse", nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	<-started
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		done <- err
	}()
	cancel() // the browser left
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("reading an idle stream did not end with its request")
	}
	resp.Body.Close()
}

func TestBackendReapsIdleConnections(t *testing.T) {
	var mu sync.Mutex
	closed := 0
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for answer(c, br, okResp) {
		}
		mu.Lock()
		closed++
		mu.Unlock()
	})
	tr := testTransport(addr)
	tr.idleTimeout = 50 * time.Millisecond
	_, _, err := roundTrip(t, tr, "GET", "")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return closed == 1
	}, 5*time.Second, 10*time.Millisecond, "an idle connection is closed after the idle timeout")
	tr.CloseIdle(true)
	_, _, err = roundTrip(t, tr, "GET", "")
	require.NoError(t, err, "a closed transport still answers, it just keeps nothing")
	tr.mu.Lock()
	require.Empty(t, tr.idle)
	tr.mu.Unlock()
}

func TestBackendDialErrors(t *testing.T) {
	errNotListening := errors.New("nothing listens")
	tr := NewTransport(testConfig, func(ctx context.Context, _, _ string) (net.Conn, error) {
		return nil, fmt.Errorf("dialing: %w", errNotListening)
	})
	_, _, err := roundTrip(t, tr, "GET", "")
	require.True(t, errors.Is(err, errNotListening), "the dialer's error, for the proxy's page")
}
