package proxy

import (
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatsCountEachPath(t *testing.T) {
	port := backend(t, "127.0.0.1:0", pathHandler())
	e := newEnv(t, port)
	c := e.raw(t)
	for range 3 {
		c.send(t, get(e.host(port), "/"))
		c.read(t, "GET")
	}
	c.send(t, "POST / HTTP/1.1\r\nHost: "+e.host(port)+"\r\nContent-Length: 1\r\n\r\nx")
	c.read(t, "POST")
	require.Equal(t, Stats{Fast: false, FastPath: 1, EventLoop: 2, Server: 1}, e.proxy.Stats(),
		"Config{} leaves Fast to the caller of Intercept")
}

func TestFrontWithoutFastPaths(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	off, err := New(Config{Fast: false}, &fakeProjects{}, nil)
	require.NoError(t, err)
	require.Same(t, ln, off.Front(ln, ConnOptions{}), "the server accepts every connection itself")
	on, err := New(DefaultConfig(), &fakeProjects{}, nil)
	require.NoError(t, err)
	front := on.Front(ln, ConnOptions{})
	require.NotSame(t, ln, front, "the fast paths read every connection first")
	require.True(t, on.Stats().Fast)
	front.Close()
	on.Close()
	off.Close()
}

// Answers are counted by project and status on every path: the fast path,
// the event loop, the server, and the proxy's own pages.
func TestAnswersCountedOnEveryPath(t *testing.T) {
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	e := newEnv(t, port)
	c := e.raw(t)
	for _, path := range []string{"/", "/", "/missing"} { // fast path, then the loop
		c.send(t, get(e.host(port), path))
		c.read(t, "GET")
	}
	c.send(t, "POST / HTTP/1.1\r\nHost: "+e.host(port)+"\r\nContent-Length: 1\r\n\r\nx") // the server
	c.read(t, "POST")
	c.send(t, get(e.host(53), "/")) // a page of the proxy's own
	c.read(t, "GET")
	require.Equal(t, []AnswerCount{
		{Project: testID, Code: 200, Count: 3},
		{Project: testID, Code: 403, Count: 1},
		{Project: testID, Code: 404, Count: 1},
	}, e.proxy.Answers())
}
