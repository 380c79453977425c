package proxy

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// echo answers with what it saw of the request.
type seen struct {
	Host, Path, Query, Origin, Referer, XFF, XFH, XFP, Forwarded string
}

func echoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(seen{
			Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery,
			Origin: r.Header.Get("Origin"), Referer: r.Header.Get("Referer"),
			XFF: r.Header.Get("X-Forwarded-For"), XFH: r.Header.Get("X-Forwarded-Host"),
			XFP: r.Header.Get("X-Forwarded-Proto"), Forwarded: r.Header.Get("Forwarded"),
		})
	})
}

func decodeSeen(t *testing.T, resp *http.Response) seen {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var s seen
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

func TestProxyPassesTheRequestOn(t *testing.T) {
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			port := backend(t, "127.0.0.1:0", echoHandler())
			e := newEnvOn(t, fast, port)
			host := e.host(port)
			s := decodeSeen(t, e.do(t, "GET", port, "/src/main.ts?v=1&t=2", map[string]string{
				"Origin":          "http://" + host,
				"Referer":         "http://" + host + "/index.html",
				"X-Forwarded-For": "203.0.113.9", // forged by the client: replaced
				"Forwarded":       "for=203.0.113.9",
				"Connection":      "X-Hop",
				"X-Hop":           "dropped",
			}))
			require.Equal(t, seen{
				Host: host, Path: "/src/main.ts", Query: "v=1&t=2",
				Origin: "http://" + host, Referer: "http://" + host + "/index.html",
				XFF: "127.0.0.1", XFH: host, XFP: "http",
			}, s)
		})
	}
}

func TestProxyRefusals(t *testing.T) {
	port := backend(t, "127.0.0.1:0", echoHandler())
	e := newEnv(t, port, 53)
	for _, tc := range []struct {
		name string
		host string
		code int
		kind string
	}{
		{"unknown project", "ffffffffffff-claude-code-" + itoa(port) + ".localhost:" + itoa(e.listen), 404, PageUnknownProject},
		{"wrong agent type", testID + "-codex-" + itoa(port) + ".localhost:" + itoa(e.listen), 404, PageWrongAgent},
		{"undeclared port", e.host(port + 1), 403, PageUndeclared},
		{"port 53 even when declared", e.host(53), 403, PageReservedPort},
		{"port 0", testID + "-claude-code-0.localhost", 400, PageBadHost},
		{"leading zero", testID + "-claude-code-0" + itoa(port) + ".localhost", 400, PageBadHost},
		{"port over 65535", testID + "-claude-code-65536.localhost", 400, PageBadHost},
		{"two labels", "x." + testID + "-claude-code-" + itoa(port) + ".localhost", 400, PageBadHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", e.server.URL+"/", nil)
			require.NoError(t, err)
			req.Host = tc.host
			resp, err := e.server.Client().Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tc.code, resp.StatusCode, string(body))
			require.Equal(t, tc.kind, resp.Header.Get(PageHeader))
			require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		})
	}
	t.Run("undeclared page says how to declare", func(t *testing.T) {
		resp := e.do(t, "GET", port+1, "/", nil)
		body, _ := io.ReadAll(resp.Body)
		require.Contains(t, string(body), "warden ports add web "+itoa(port+1))
		require.Contains(t, string(body), "forwardedPorts")
	})
}

func TestProxyPortsAreCheckedOnEveryRequest(t *testing.T) {
	port := backend(t, "127.0.0.1:0", echoHandler())
	e := newEnv(t, port)
	require.Equal(t, 200, e.do(t, "GET", port, "/", nil).StatusCode)
	e.projects.edit(testID, func(t *Target) { t.Ports = nil })
	require.Equal(t, 403, e.do(t, "GET", port, "/", nil).StatusCode, "removed: refused at once")
	e.projects.edit(testID, func(t *Target) { t.Ports = []int{port} })
	require.Equal(t, 200, e.do(t, "GET", port, "/", nil).StatusCode, "added back: served at once")
}

func TestProxyProjectState(t *testing.T) {
	port := backend(t, "127.0.0.1:0", echoHandler())
	e := newEnv(t, port)
	e.projects.edit(testID, func(t *Target) { t.Stopped, t.Running = true, false })
	resp := e.do(t, "GET", port, "/", nil)
	require.Equal(t, 502, resp.StatusCode)
	require.Equal(t, PageStopped, resp.Header.Get(PageHeader))
	body, _ := io.ReadAll(resp.Body)
	require.Contains(t, string(body), "warden project start web")

	e.projects.edit(testID, func(t *Target) { t.Stopped, t.Running, t.Problem = false, false, "sidecar restarting" })
	resp = e.do(t, "GET", port, "/", nil)
	require.Equal(t, 502, resp.StatusCode)
	require.Equal(t, PageNotRunning, resp.Header.Get(PageHeader))
}

func TestProxyNothingListening(t *testing.T) {
	port := closedPort(t)
	e := newEnv(t, port)
	resp := e.do(t, "GET", port, "/", nil)
	require.Equal(t, 502, resp.StatusCode)
	require.Equal(t, PageNotListening, resp.Header.Get(PageHeader))
	require.EqualValues(t, 1, e.relayed.Load(), "the relay was asked after the direct dial was refused")
}

func TestProxyRelaysToLoopbackOnlyServers(t *testing.T) {
	port := backend(t, "[::1]:0", echoHandler()) // not on the "project address" 127.0.0.1
	e := newEnv(t, port)
	s := decodeSeen(t, e.do(t, "GET", port, "/hmr", nil))
	require.Equal(t, e.host(port), s.Host)
	require.EqualValues(t, 1, e.relayed.Load())

	// A new connection goes to the relay first now.
	e.server.Client().CloseIdleConnections()
	e.proxy.tr.CloseIdle(false)
	decodeSeen(t, e.do(t, "GET", port, "/", nil))
	require.EqualValues(t, 2, e.relayed.Load())
}

func TestProxyKeepsBackendConnectionsAlive(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	port := backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			clear(conns)
			e := newEnvOn(t, fast, port)
			for range 20 {
				resp := e.do(t, "GET", port, "/", nil)
				_, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			require.Len(t, conns, 1, "twenty requests in a row, one backend connection")
		})
	}
}
