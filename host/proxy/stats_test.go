package proxy

import (
	"net"
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
