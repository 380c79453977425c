package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// pathWay is one way a request reaches the dev server: its first line,
// whether the fast path runs, and a request answered before it on the
// same connection (to reach the event loop).
type pathWay struct {
	name   string
	fast   bool
	warm   bool
	method string
}

var pathWays = []pathWay{
	{"fast path", true, false, "GET"},
	{"event loop", true, true, "GET"},
	{"server, after the fast path", true, false, "POST"},
	{"server alone", false, false, "GET"},
}

// recordingBackend answers every request with status line statusLine and
// no body, and records the forwarded headers it got.
func recordingBackend(t *testing.T, statusLine string) (int, func() []http.Header) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var seen []http.Header
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					h := http.Header{}
					for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
						if v, ok := req.Header[k]; ok {
							h[k] = v
						}
					}
					mu.Lock()
					seen = append(seen, h)
					mu.Unlock()
					if req.Header.Get("Upgrade") != "" {
						_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
						return
					}
					_, _ = io.WriteString(c, statusLine+"\r\nContent-Length: 0\r\n\r\n")
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, func() []http.Header {
		mu.Lock()
		defer mu.Unlock()
		return append([]http.Header(nil), seen...)
	}
}

// send sends method / with the browser's own forwarding headers, on the
// way w names, and returns the answer.
func (w pathWay) send(t *testing.T, e *env, port int, extra string) *http.Response {
	t.Helper()
	c := e.raw(t)
	if w.warm {
		c.send(t, get(e.host(port), "/warm"))
		c.read(t, "GET")
	}
	body := ""
	if w.method == "POST" {
		body = "Content-Length: 1\r\n"
	}
	c.send(t, w.method+" / HTTP/1.1\r\nHost: "+e.host(port)+"\r\n"+body+extra+"\r\n")
	if w.method == "POST" {
		c.send(t, "x")
	}
	resp, _ := c.read(t, w.method)
	return resp
}

// The browser's own X-Forwarded-* and Forwarded never reach the dev
// server; the proxy's are the same on every path, the WebSocket handshake
// included.
func TestForwardedHeadersAlikeOnEveryPath(t *testing.T) {
	const spoof = "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nForwarded: for=203.0.113.9\r\n"
	var want http.Header
	for _, w := range append(pathWays, pathWay{name: "upgrade", fast: true, method: "GET"}) {
		t.Run(w.name, func(t *testing.T) {
			port, seen := recordingBackend(t, "HTTP/1.1 204 No Content")
			e := newEnvOn(t, w.fast, port)
			extra := spoof
			if w.name == "upgrade" {
				extra += "Connection: Upgrade\r\nUpgrade: websocket\r\n"
			}
			w.send(t, e, port, extra)
			all := seen()
			got := all[len(all)-1]
			if want == nil {
				want = http.Header{"X-Forwarded-For": {"127.0.0.1"}, "X-Forwarded-Host": {e.host(port)}, "X-Forwarded-Proto": {"http"}}
			}
			want["X-Forwarded-Host"] = []string{e.host(port)}
			require.Equal(t, want, got)
		})
	}
}

// A dev server's reason phrase is never passed on: the browser gets the
// standard text, or "status code N", on every path.
func TestReasonPhrases(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"HTTP/1.1 200 Totally Fine", "200 OK"},
		{"HTTP/1.1 404 Nope\x01\x7f", "404 Not Found"},
		{"HTTP/1.1 599 Odd", "599 status code 599"},
		{"HTTP/1.1 599 " + strings.Repeat("\xff", 2000), "599 status code 599"},
		{"HTTP/1.1 299", "299 status code 299"},
	} {
		for _, w := range pathWays {
			t.Run(w.name, func(t *testing.T) {
				port, _ := recordingBackend(t, tc.line)
				e := newEnvOn(t, w.fast, port)
				resp := w.send(t, e, port, "")
				require.Equal(t, tc.want, resp.Status, "%q", tc.line)
			})
		}
	}
}
