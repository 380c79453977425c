package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// rawConn is one browser connection to the env, spoken to byte by byte.
type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func (e *env) raw(t *testing.T) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", e.server.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) send(t *testing.T, s string) {
	t.Helper()
	_, err := io.WriteString(r.c, s)
	require.NoError(t, err)
}

// read reads one final answer to method, body included, past any
// informational ones, as a browser does.
func (r *rawConn) read(t *testing.T, method string) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(r.br, &http.Request{Method: method})
	for err == nil && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(r.br, &http.Request{Method: method})
	}
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	return resp, string(body)
}

func get(host, path string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
}

func pathHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, body)
	})
}

func TestFastPathAnswersPlainRequests(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnv(t, port)
	c := e.raw(t)
	for i := range 5 {
		c.send(t, get(e.host(port), fmt.Sprintf("/%d", i)))
		resp, body := c.read(t, "GET")
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, fmt.Sprintf("GET /%d ", i), body)
		require.NotEmpty(t, resp.Header.Get("Date"))
	}
	require.EqualValues(t, 5, e.fastServed(), "all five on the fast path, on one connection")
}

func TestFastPathHandsOverTheRest(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnv(t, port)
	host := e.host(port)

	t.Run("mid-connection", func(t *testing.T) {
		before := e.fastServed()
		c := e.raw(t)
		c.send(t, get(host, "/first"))
		_, body := c.read(t, "GET")
		require.Equal(t, "GET /first ", body)
		// An upload goes to the server, which keeps the connection.
		c.send(t, "POST /upload HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 5\r\n\r\nhello")
		_, body = c.read(t, "POST")
		require.Equal(t, "POST /upload hello", body)
		c.send(t, get(host, "/after"))
		_, body = c.read(t, "GET")
		require.Equal(t, "GET /after ", body)
		require.Equal(t, before+1, e.fastServed(), "only the first on the fast path")
	})
	t.Run("pipelined", func(t *testing.T) {
		c := e.raw(t)
		c.send(t, get(host, "/a")+get(host, "/b")+"POST /c HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 2\r\n\r\nhi"+get(host, "/d"))
		for _, want := range []string{"GET /a ", "GET /b ", "POST /c hi", "GET /d "} {
			_, body := c.read(t, strings.Fields(want)[0])
			require.Equal(t, want, body)
		}
	})
	t.Run("large head", func(t *testing.T) {
		c := e.raw(t)
		c.send(t, "GET /big HTTP/1.1\r\nHost: "+host+"\r\nCookie: "+strings.Repeat("x", 6000)+"\r\n\r\n")
		_, body := c.read(t, "GET")
		require.Equal(t, "GET /big ", body)
	})
	t.Run("bare LF", func(t *testing.T) {
		c := e.raw(t)
		c.send(t, "GET /lf HTTP/1.1\nHost: "+host+"\n\n")
		_, body := c.read(t, "GET")
		require.Equal(t, "GET /lf ", body)
	})
	t.Run("head split across writes", func(t *testing.T) {
		c := e.raw(t)
		req := get(host, "/split")
		c.send(t, req[:10])
		time.Sleep(20 * time.Millisecond)
		c.send(t, req[10:])
		_, body := c.read(t, "GET")
		require.Equal(t, "GET /split ", body)
	})
	for name, tc := range map[string]struct {
		req  string
		code int
	}{
		"malformed request line": {"GET\r\nHost: " + host + "\r\n\r\n", 400},
		"two Host headers":       {"GET / HTTP/1.1\r\nHost: " + host + "\r\nHost: localhost\r\n\r\n", 400},
		"no Host":                {"GET / HTTP/1.1\r\n\r\n", 400},
		"absolute form":          {"GET http://" + host + "/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 200},
		"HTTP/1.0":               {"GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n", 200},
		"control byte in value":  {"GET / HTTP/1.1\r\nHost: " + host + "\r\nX-A: a\x01b\r\n\r\n", 400},
		"not a preview":          {"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
	} {
		t.Run(name, func(t *testing.T) {
			before := e.fastServed()
			c := e.raw(t)
			c.send(t, tc.req)
			resp, body := c.read(t, "GET")
			require.Equal(t, tc.code, resp.StatusCode, body)
			require.Equal(t, before, e.fastServed(), "the server answered it")
		})
	}
}

func TestFastPathFraming(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/same":
			w.WriteHeader(http.StatusNotModified)
		case "/chunked":
			w.Header().Set("Trailer", "X-Sum")
			fmt.Fprint(w, "part one,")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "part two")
			w.Header().Set("X-Sum", "42")
		case "/custom":
			w.WriteHeader(599)
			fmt.Fprint(w, "odd")
		default:
			w.Header().Set("Content-Length", "11")
			w.Header().Set("Keep-Alive", "timeout=5")
			fmt.Fprint(w, "hello world")
		}
	}))
	e := newEnv(t, port)
	host := e.host(port)
	c := e.raw(t)

	c.send(t, "HEAD / HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
	resp, body := c.read(t, "HEAD")
	require.Equal(t, "11", resp.Header.Get("Content-Length"), "HEAD keeps the length of the body not sent")
	require.Empty(t, body)
	require.Empty(t, resp.Header.Get("Keep-Alive"), "hop-by-hop headers stay on their hop")

	c.send(t, get(host, "/empty"))
	resp, body = c.read(t, "GET")
	require.Equal(t, 204, resp.StatusCode)
	require.Empty(t, body)

	c.send(t, get(host, "/same"))
	resp, _ = c.read(t, "GET")
	require.Equal(t, 304, resp.StatusCode)

	c.send(t, get(host, "/chunked"))
	resp, body = c.read(t, "GET")
	require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	require.Equal(t, "part one,part two", body)
	require.Equal(t, "42", resp.Trailer.Get("X-Sum"))

	c.send(t, get(host, "/custom"))
	resp, body = c.read(t, "GET")
	require.Equal(t, 599, resp.StatusCode)
	require.Equal(t, "odd", body)

	c.send(t, "GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
	resp, body = c.read(t, "GET")
	require.Equal(t, "hello world", body)
	require.True(t, resp.Close, "the browser asked to close")
	_, err := c.br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "and the proxy closed")
	require.EqualValues(t, 6, e.fastServed())
}

func TestFastPathCutShortAnswer(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
	})
	_, portStr, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(portStr, &port)
	e := newEnv(t, port)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/"))
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the browser learns the answer was cut short")
}

func TestFastPathUnaskedProtocolSwitch(t *testing.T) {
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		io.Copy(io.Discard, c)
	})
	_, portStr, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(portStr, &port)
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, fast, port)
			resp := e.do(t, "GET", port, "/", nil)
			require.Equal(t, 502, resp.StatusCode)
		})
	}
}

// TestStreamEndsWhenTheBrowserLeaves: a quiet event stream is ended at the
// dev server as soon as the browser closes, not at its next event.
func TestStreamEndsWhenTheBrowserLeaves(t *testing.T) {
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			ended := make(chan struct{})
			port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, "data: hello\n\n")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				close(ended)
			}))
			e := newEnvOn(t, fast, port)
			c := e.raw(t)
			c.send(t, get(e.host(port), "/events"))
			resp, err := http.ReadResponse(c.br, nil)
			require.NoError(t, err)
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			require.NoError(t, err)
			require.Equal(t, "data: hello\n", line)
			c.c.Close()
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the dev server's stream outlived the browser")
			}
		})
	}
}

// TestStreamKeepsAnEarlyRequest: a request sent while a stream runs is
// answered after it, on the same connection.
func TestStreamKeepsAnEarlyRequest(t *testing.T) {
	release := make(chan struct{})
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/next" {
			fmt.Fprint(w, "next")
			return
		}
		fmt.Fprint(w, "first,")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "last")
	}))
	e := newEnv(t, port)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/stream"))
	resp, err := http.ReadResponse(c.br, nil)
	require.NoError(t, err)
	buf := make([]byte, 6)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	c.send(t, get(e.host(port), "/next"))
	time.Sleep(50 * time.Millisecond) // the watch reads it
	close(release)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "first,last", string(buf)+string(rest))
	_, body := c.read(t, "GET")
	require.Equal(t, "next", body)
	require.EqualValues(t, 2, e.fastServed())
}

func TestFastPathThenWebSocket(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			wsEcho(t).ServeHTTP(w, r)
			return
		}
		fmt.Fprint(w, "page")
	}))
	e := newEnv(t, port)
	c := e.raw(t)
	_ = c.c.SetDeadline(time.Time{})
	c.send(t, get(e.host(port), "/"))
	_, body := c.read(t, "GET")
	require.Equal(t, "page", body)
	require.EqualValues(t, 1, e.fastServed())

	// The same connection now asks for a WebSocket: handed to the server,
	// which hands it to a tunnel.
	used := false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+e.host(port)+"/ws", &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{
			DialContext: func(context.Context, string, string) (net.Conn, error) {
				require.False(t, used)
				used = true
				return c.c, nil
			},
		}},
	})
	require.NoError(t, err)
	defer ws.CloseNow()
	require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte("hmr")))
	_, got, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, e.host(port)+" hmr", string(got))
}

func TestCloseEndsFastConnections(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "started")
		if r.URL.Path == "/quick" {
			return
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	e := newEnv(t, port)
	idle := e.raw(t)
	idle.send(t, get(e.host(port), "/quick"))
	_, body := idle.read(t, "GET")
	require.Equal(t, "started", body)
	streaming := e.raw(t)
	streaming.send(t, get(e.host(port), "/stream"))
	sresp, err := http.ReadResponse(streaming.br, nil)
	require.NoError(t, err)
	buf := make([]byte, 7)
	_, err = io.ReadFull(sresp.Body, buf)
	require.NoError(t, err)

	require.NoError(t, e.proxy.Close())
	_, err = io.ReadAll(sresp.Body)
	require.Error(t, err, "the stream was cut")
	_, err = idle.br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "the idle connection was closed")
}
