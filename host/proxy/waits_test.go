package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// silentBackend is a dev server that takes requests and never answers
// them, but for /ok; each request it takes is announced on the channel.
// It closes a connection once the proxy closes its side.
func silentBackend(t *testing.T) (int, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	got := make(chan string, 1024)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if req.URL.Path == "/ok" {
						_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
						continue
					}
					got <- req.URL.Path
					// Nothing is ever answered: the next read ends when
					// the proxy closes the connection.
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, got
}

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// abandon sends a request for /hang the way the path takes it, waits until
// the dev server has it, and leaves (closes the connection).
type abandonWay struct {
	name string
	fast bool
	// first is sent and answered before, on the same connection (to
	// reach the event loop); request is the one abandoned.
	first   string
	request func(host string) string
}

func abandonWays() []abandonWay {
	get := func(host string) string { return "GET /hang HTTP/1.1\r\nHost: " + host + "\r\n\r\n" }
	post := func(host string) string {
		return "POST /hang HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 1\r\n\r\nx"
	}
	return []abandonWay{
		{name: "fast path", fast: true, request: get},
		{name: "event loop", fast: true, first: "/ok", request: get},
		{name: "server, after the fast path", fast: true, request: post},
		{name: "server alone", fast: false, request: get},
	}
}

func (w abandonWay) abandon(t *testing.T, e *env, port int, got <-chan string) {
	t.Helper()
	c := e.raw(t)
	if w.first != "" {
		c.send(t, get(e.host(port), w.first))
		resp, _ := c.read(t, "GET")
		require.Equal(t, 200, resp.StatusCode)
	}
	c.send(t, w.request(e.host(port)))
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the dev server")
	}
	c.c.Close()
}

// TestAbandonedRequestsLeaveNothingBehind: a dev server that never
// answers, and a page that starts requests and leaves, again and again.
// Without the watch for a departed browser, every request holds a
// goroutine and descriptors (the proxy's two, the dev server's one) until
// the answer timeout; with it, both return to where they were.
func TestAbandonedRequestsLeaveNothingBehind(t *testing.T) {
	const n = 20
	t.Run("fast path, the watch off", func(t *testing.T) {
		port, got := silentBackend(t)
		e := newEnv(t, port)
		e.proxy.fast.BlindWaits = true
		goroutines, fds := runtime.NumGoroutine(), openFDs(t)
		for range n {
			abandonWay{fast: true, request: abandonWays()[0].request}.abandon(t, e, port, got)
		}
		// Each request is stuck, by construction: its dev server never
		// answers and nothing else ends the wait.
		require.GreaterOrEqual(t, runtime.NumGoroutine(), goroutines+n, "a goroutine per abandoned request")
		require.GreaterOrEqual(t, openFDs(t), fds+2*n, "the proxy's two descriptors per abandoned request, the dev server's one")
	})
	for _, w := range abandonWays() {
		t.Run(w.name, func(t *testing.T) {
			port, got := silentBackend(t)
			e := newEnvOn(t, w.fast, port)
			// Warm up: the event loops start, the servers' goroutines run.
			warm := e.raw(t)
			warm.send(t, get(e.host(port), "/ok"))
			warm.read(t, "GET")
			warm.send(t, get(e.host(port), "/ok"))
			warm.read(t, "GET")
			goroutines, fds := runtime.NumGoroutine(), openFDs(t)
			for range n {
				w.abandon(t, e, port, got)
			}
			deadline := time.Now().Add(15 * time.Second)
			for runtime.NumGoroutine() > goroutines || openFDs(t) > fds {
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<20)
					t.Fatalf("after %d abandoned requests: %d goroutines (baseline %d), %d descriptors (baseline %d)\n%s",
						n, runtime.NumGoroutine(), goroutines, openFDs(t), fds, buf[:runtime.Stack(buf, true)])
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestAnswerTimeout: a dev server that never answers gets the browser a
// 504 page once the answer timeout passes, on every path.
func TestAnswerTimeout(t *testing.T) {
	for _, w := range abandonWays() {
		t.Run(w.name, func(t *testing.T) {
			port, got := silentBackend(t)
			e := newEnvConfig(t, w.fast, Config{AnswerTimeout: 300 * time.Millisecond}, ConnOptions{}, port)
			c := e.raw(t)
			if w.first != "" {
				c.send(t, get(e.host(port), w.first))
				c.read(t, "GET")
			}
			c.send(t, w.request(e.host(port)))
			method := "GET"
			if w.name == "server, after the fast path" {
				method = "POST"
			}
			resp, body := c.read(t, method)
			<-got
			require.Equal(t, http.StatusGatewayTimeout, resp.StatusCode, body)
			require.Equal(t, PageNoAnswer, resp.Header.Get(PageHeader))
			require.Contains(t, body, "sent no answer within 300ms")
			// The connection goes on.
			c.send(t, get(e.host(port), "/ok"))
			resp, body = c.read(t, "GET")
			require.Equal(t, "ok", body, fmt.Sprint(resp.StatusCode))
		})
	}
}

func TestConfigRefusesANegativeAnswerTimeout(t *testing.T) {
	_, err := New(Config{AnswerTimeout: -time.Second}, &fakeProjects{}, nil)
	require.ErrorContains(t, err, "preview answer timeout -1s is negative")
}
