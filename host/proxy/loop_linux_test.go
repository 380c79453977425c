package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/proxy/internal/fast"
)

// counted answers path and method, and counts the dev server's
// connections.
func counted(t *testing.T, h http.Handler) (port int, conns func() int) {
	var mu sync.Mutex
	seen := map[string]bool{}
	port = backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.RemoteAddr] = true
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	return port, func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
}

func TestLoopCarriesKeptConnections(t *testing.T) {
	port, conns := counted(t, pathHandler())
	e := newEnv(t, port)
	c := e.raw(t)
	for i := range 10 {
		c.send(t, get(e.host(port), fmt.Sprintf("/%d", i)))
		resp, body := c.read(t, "GET")
		require.Equal(t, 200, resp.StatusCode)
		require.Equal(t, fmt.Sprintf("GET /%d ", i), body)
	}
	require.EqualValues(t, 10, e.fastServed())
	require.EqualValues(t, 9, e.loopServed(), "the first on the connection's goroutine, the rest in a loop")
	require.Equal(t, 1, conns(), "one dev server connection throughout")

	// Pipelined requests are answered in order.
	c.send(t, get(e.host(port), "/a")+get(e.host(port), "/b")+get(e.host(port), "/c"))
	for _, want := range []string{"GET /a ", "GET /b ", "GET /c "} {
		_, body := c.read(t, "GET")
		require.Equal(t, want, body)
	}
	require.EqualValues(t, 12, e.loopServed())
}

// TestLoopHandsBack: whatever a loop does not hold goes back to a
// goroutine mid-connection, and the connection comes back to a loop.
func TestLoopHandsBack(t *testing.T) {
	other := backend(t, "127.0.0.1:0", pathHandler())
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/large":
			w.Header().Set("Content-Length", fmt.Sprint(3*fast.LoopAnswerMax))
			_, _ = w.Write([]byte(strings.Repeat("x", 3*fast.LoopAnswerMax)))
		case "/stream":
			fmt.Fprint(w, "one,")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "two")
		case "/early":
			w.Header().Set("Link", "</app.js>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			fmt.Fprint(w, "after hints")
		default:
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
		}
	}))
	e := newEnv(t, port, other)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/warm"))
	c.read(t, "GET")
	c.send(t, get(e.host(port), "/in-loop"))
	_, body := c.read(t, "GET")
	require.Equal(t, "GET /in-loop", body)
	inLoop := e.loopServed()
	require.EqualValues(t, 1, inLoop)

	for _, tc := range []struct{ path, want string }{
		{"/large", strings.Repeat("x", 3*fast.LoopAnswerMax)},
		{"/stream", "one,two"},
		{"/early", "after hints"},
		{"/again", "GET /again"},
		{"/again", "GET /again"},
	} {
		c.send(t, get(e.host(port), tc.path))
		resp, body := c.read(t, "GET")
		require.Equal(t, 200, resp.StatusCode, tc.path)
		require.Equal(t, tc.want, body, tc.path)
	}
	require.Equal(t, inLoop+5, e.loopServed(), "each began in a loop, and the connection went back to one after")

	// Another project port on the same connection, then a refusal.
	c.send(t, get(e.host(other), "/other"))
	_, body = c.read(t, "GET")
	require.Equal(t, "GET /other ", body)
	c.send(t, get(e.host(other+1), "/"))
	resp, _ := c.read(t, "GET")
	require.Equal(t, 403, resp.StatusCode)
	require.Equal(t, PageUndeclared, resp.Header.Get(PageHeader))
}

func TestLoopWithoutAFreshProjectAsksOnAGoroutine(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnv(t, port)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/"))
	c.read(t, "GET")
	e.projects.mu.Lock()
	e.projects.stale = true
	e.projects.mu.Unlock()
	for range 3 {
		c.send(t, get(e.host(port), "/x"))
		_, body := c.read(t, "GET")
		require.Equal(t, "GET /x ", body)
	}
	require.EqualValues(t, 0, e.loopServed())
	require.EqualValues(t, 4, e.fastServed())
}

// TestLoopDevServerClosesKeptConnection: Node closes idle connections
// after 5 s; the next request goes out on a new one.
func TestLoopDevServerClosesKeptConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: pathHandler(), IdleTimeout: 50 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	e := newEnv(t, port)
	c := e.raw(t)
	for i := range 4 {
		c.send(t, get(e.host(port), fmt.Sprintf("/%d", i)))
		_, body := c.read(t, "GET")
		require.Equal(t, fmt.Sprintf("GET /%d ", i), body)
		time.Sleep(150 * time.Millisecond)
	}
}

// TestLoopResendsWhenAKeptConnectionDied: the dev server closes a kept
// connection as the request reaches it; the request goes out again.
func TestLoopResendsWhenAKeptConnectionDied(t *testing.T) {
	addr, conns := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for n := 0; ; n++ {
			req, err := http.ReadRequest(br)
			if err != nil || n == 2 {
				return // the third request on a connection: closed unanswered
			}
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(req.URL.Path), req.URL.Path)
		}
	})
	_, portStr, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(portStr, &port)
	e := newEnv(t, port)
	c := e.raw(t)
	for i := range 5 {
		path := fmt.Sprintf("/%d", i)
		c.send(t, get(e.host(port), path))
		_, body := c.read(t, "GET")
		require.Equal(t, path, body)
	}
	require.EqualValues(t, 3, conns.Load())
}

// TestLoopSlowBrowser: an answer the browser does not take at once is
// written as it makes room.
func TestLoopSlowBrowser(t *testing.T) {
	const size = fast.LoopAnswerMax - 1024
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/warm" {
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(size))
		_, _ = w.Write([]byte(strings.Repeat(r.URL.Path[1:], size)))
	}))
	e := newEnv(t, port)
	// A send buffer far smaller than the answer, as on a real network
	// (loopback's grows to megabytes at once).
	e.proxy.fast.AdoptHook = func(fd int) { _ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096) }
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	conn, err := d.Dial("tcp", e.server.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	c := &rawConn{c: conn, br: bufio.NewReaderSize(conn, 512)}
	// Small first: the proxy's send buffer stays at its first size.
	c.send(t, get(e.host(port), "/warm"))
	c.read(t, "GET")
	for _, letter := range []string{"a", "b", "c"} {
		c.send(t, get(e.host(port), "/"+letter))
		time.Sleep(100 * time.Millisecond) // the answer waits on a full window
		_, body := c.read(t, "GET")
		require.Equal(t, strings.Repeat(letter, size), body)
	}
	require.EqualValues(t, 3, e.loopServed())
}

func TestLoopBrowserLeavesWhileWaiting(t *testing.T) {
	started, ended := make(chan struct{}, 10), make(chan struct{}, 10)
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-r.Context().Done()
			ended <- struct{}{}
			return
		}
		fmt.Fprint(w, "ok")
	}))
	e := newEnv(t, port)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/"))
	c.read(t, "GET")
	c.send(t, get(e.host(port), "/slow"))
	<-started
	require.Eventually(t, func() bool { return e.loopServed() == 1 }, 5*time.Second, time.Millisecond,
		"the loop sent it")
	c.c.Close()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the dev server's request outlived the browser")
	}
}

func TestLoopIdleTimeout(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnvWith(t, true, ConnOptions{IdleTimeout: 100 * time.Millisecond, HeaderTimeout: time.Second}, port)
	c := e.raw(t)
	c.send(t, get(e.host(port), "/"))
	c.read(t, "GET")
	c.send(t, get(e.host(port), "/"))
	c.read(t, "GET")
	require.EqualValues(t, 1, e.loopServed())
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadByte()
	require.ErrorIs(t, err, io.EOF, "an idle connection is closed by the loop's sweep")
}

func TestCloseEndsLoopConnections(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnv(t, port)
	c := e.raw(t)
	for range 2 {
		c.send(t, get(e.host(port), "/"))
		c.read(t, "GET")
	}
	require.EqualValues(t, 1, e.loopServed())
	require.NoError(t, e.proxy.Close())
	_, err := c.br.ReadByte()
	require.ErrorIs(t, err, io.EOF)
}
