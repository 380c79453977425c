package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// TestDockerPreviewProxy drives the preview proxy against real containers:
// two projects whose dev servers use the same port, one also on
// 127.0.0.1 only, reached through the sidecar's relay.
func TestDockerPreviewProxy(t *testing.T) {
	w := newWorld(t)
	wsB := ownedWorkspace(t)
	a := w.previewProject(t, "alpha", "")
	b := w.previewProject(t, "beta", wsB)
	w.mustCLI("ports", "add", a, "8000", "8001")
	writeWardenFile(t, wsB, `{"forwardedPorts": [8000]}`)
	w.startDevServer(t, a, "alpha", "0.0.0.0:8000", "127.0.0.1:8001")
	w.startDevServer(t, b, "beta", "0.0.0.0:8000")
	started := w.containerStart("warden-"+a+"-agent") + w.containerStart("warden-"+b+"-agent")

	t.Run("same port in two projects, routed by Host", func(t *testing.T) {
		host := w.previewHost(a, 8000)
		s := w.seenAt(t, a, 8000, "/src/app.ts?v=2", map[string]string{
			"Origin": "http://" + host, "Referer": "http://" + host + "/", "X-Forwarded-For": "198.51.100.99",
		})
		require.Equal(t, "alpha", s.ID)
		require.Equal(t, host, s.Host, "the dev server sees the preview Host")
		require.Equal(t, "/src/app.ts", s.Path)
		require.Equal(t, "http://"+host, s.Origin, "Origin passed on unchanged")
		require.Equal(t, "http://"+host+"/", s.Referer, "Referer passed on unchanged")
		require.Equal(t, host, s.XFH)
		require.Equal(t, "http", s.XFP)
		require.Equal(t, "127.0.0.1", s.XFF, "the client's own X-Forwarded-For is replaced")
		require.Equal(t, "beta", w.seenAt(t, b, 8000, "/", nil).ID)
	})

	t.Run("Warden's Content-Security-Policy follows mode, allowlist and switch, live", func(t *testing.T) {
		csp := func() []string {
			resp := w.hostDo(t, "GET", w.previewHost(a, 8000), "/", nil, nil)
			_, _ = io.Copy(io.Discard, resp.Body)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			return resp.Header.Values("Content-Security-Policy")
		}
		got := csp()
		require.Len(t, got, 1)
		require.Contains(t, got[0], "connect-src 'self' https://github.com https://*.github.com ws://"+w.previewHost(a, 8000))
		w.mustCLI("mode", a, "none")
		got = csp()
		require.Len(t, got, 1)
		require.NotContains(t, got[0], "github.com", "mode none: the page's own origin only")
		w.mustCLI("project", "edit", a, "--preview-csp=false")
		require.Empty(t, csp(), "switched off")
		w.mustCLI("project", "edit", a, "--preview-csp")
		w.mustCLI("mode", a, "restricted")
		require.Contains(t, csp()[0], "https://*.github.com")
	})

	t.Run("a server on 127.0.0.1 through the relay, no new listener", func(t *testing.T) {
		before := w.namespaceListeners(t, a)
		for range 3 {
			s := w.seenAt(t, a, 8001, "/", nil)
			require.Equal(t, "alpha", s.ID)
			require.Equal(t, "127.0.0.1:8001", s.Local, "reached the loopback-only listener")
		}
		require.Equal(t, before, w.namespaceListeners(t, a), "relaying opened no listener in the namespace")
	})

	t.Run("ports API lists declared and listening ports", func(t *testing.T) {
		p := w.previewPorts(t, a)
		require.Equal(t, []int{8000, 8001}, p.Declared)
		require.Empty(t, p.ListeningError)
		listening := map[int]bool{}
		for _, l := range p.Listening {
			listening[l.Port] = l.LoopbackOnly
		}
		require.Equal(t, map[int]bool{8000: false, 8001: true}, listening, "the agent's servers only, the sidecar's DNS filter left out")
		require.NotEmpty(t, p.Previews)
		require.Equal(t, "http://"+w.previewHost(a, 8000)+"/", p.Previews[0].URL)
	})

	t.Run("undeclared, removed and re-added ports, live", func(t *testing.T) {
		code, kind := w.previewStatus(t, w.previewHost(a, 8002), nil)
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, "port-not-forwarded", kind)
		resp := w.hostDo(t, "GET", w.previewHost(a, 8002), "/", nil, nil)
		body, _ := io.ReadAll(resp.Body)
		require.Contains(t, string(body), "warden ports add alpha 8002", "the page says how to declare it")

		w.mustCLI("ports", "rm", a, "8000")
		code, kind = w.previewStatus(t, w.previewHost(a, 8000), nil)
		require.Equal(t, http.StatusForbidden, code, "removed: refused on the next request")
		require.Equal(t, "port-not-forwarded", kind)
		w.mustCLI("ports", "add", a, "8000")
		require.Equal(t, "alpha", w.seenAt(t, a, 8000, "/", nil).ID, "added back: served on the next request")
	})

	t.Run(".warden.json edits are picked up", func(t *testing.T) {
		writeWardenFile(t, wsB, `{"forwardedPorts": []}`)
		require.Eventually(t, func() bool {
			code, _ := w.previewStatus(t, w.previewHost(b, 8000), nil)
			return code == http.StatusForbidden
		}, 10*time.Second, 50*time.Millisecond, "a port taken out of .warden.json stops being forwarded")
		writeWardenFile(t, wsB, `{"forwardedPorts": [8000]}`)
		require.Eventually(t, func() bool {
			code, _ := w.previewStatus(t, w.previewHost(b, 8000), nil)
			return code == http.StatusOK
		}, 10*time.Second, 50*time.Millisecond, "and is forwarded again once it is back")
	})

	t.Run("WebSocket echo, direct and relayed", func(t *testing.T) {
		for _, port := range []int{8000, 8001} {
			host := w.previewHost(a, port)
			c, _, err := w.dialPreviewWS(host, "/ws", "http://"+host)
			require.NoError(t, err, "port %d", port)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			for i := range 3 {
				msg := fmt.Sprintf("hmr update %d on %d", i, port)
				require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
				_, got, err := c.Read(ctx)
				require.NoError(t, err)
				require.Equal(t, msg, string(got))
			}
			cancel()
			require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
		}
	})

	t.Run("server-sent events arrive as they are sent", func(t *testing.T) {
		resp := w.hostDo(t, "GET", w.previewHost(a, 8001), "/sse?n=3&every=400ms", nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		var at []time.Time
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				at = append(at, time.Now())
			}
		}
		require.Len(t, at, 3)
		// Sent 400 ms apart: held back, they would arrive together.
		require.Greater(t, at[2].Sub(at[0]), 500*time.Millisecond, "the events were held back and sent together")
	})

	t.Run("large bodies both ways", func(t *testing.T) {
		const size = 64 << 20
		h := sha256.New()
		body := io.TeeReader(io.LimitReader(zeros{}, size), h)
		resp := w.hostDo(t, "POST", w.previewHost(b, 8000), "/upload", map[string]string{"Content-Type": "application/octet-stream"}, body)
		var up struct {
			Bytes  int64  `json:"bytes"`
			SHA256 string `json:"sha256"`
		}
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&up))
		require.EqualValues(t, size, up.Bytes)
		require.Equal(t, hex.EncodeToString(h.Sum(nil)), up.SHA256)

		resp = w.hostDo(t, "GET", w.previewHost(b, 8000), fmt.Sprintf("/download?bytes=%d", size), nil, nil)
		n, err := io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		require.EqualValues(t, size, n)
	})

	t.Run("Host and Origin", func(t *testing.T) {
		_, listen, _ := strings.Cut(w.addr, ":")
		host := w.previewHost(a, 8000)
		for _, tc := range []struct {
			name, host string
			code       int
			kind       string
		}{
			{"rebinding name", "evil.example:" + listen, http.StatusMisdirectedRequest, ""},
			{"preview name under a public domain", a + "-claude-code-8000.localhost.evil.example:" + listen, http.StatusMisdirectedRequest, ""},
			{"listener port garbage", host + ".evil.example", http.StatusBadRequest, "bad-host"},
			{"port 0", a + "-claude-code-0.localhost:" + listen, http.StatusBadRequest, "bad-host"},
			{"port 65536", a + "-claude-code-65536.localhost:" + listen, http.StatusBadRequest, "bad-host"},
			{"leading zero", a + "-claude-code-08000.localhost:" + listen, http.StatusBadRequest, "bad-host"},
			{"port 53, the sidecar's", a + "-claude-code-53.localhost:" + listen, http.StatusForbidden, "port-reserved"},
			{"wrong agent type", a + "-codex-8000.localhost:" + listen, http.StatusNotFound, "wrong-agent-type"},
			{"unknown project", "ffffffffffff-claude-code-8000.localhost:" + listen, http.StatusNotFound, "unknown-project"},
			{"upper case", strings.ToUpper(host), http.StatusOK, ""},
			{"trailing dot", strings.Replace(host, ".localhost:", ".localhost.:", 1), http.StatusOK, ""},
			{"without the listener's port", strings.TrimSuffix(host, ":"+listen), http.StatusOK, ""},
		} {
			code, kind := w.previewStatus(t, tc.host, nil)
			require.Equal(t, tc.code, code, tc.name)
			require.Equal(t, tc.kind, kind, tc.name)
		}

		_, resp, err := w.dialPreviewWS(host, "/ws", "http://evil.example")
		require.Error(t, err, "a WebSocket from another site")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		_, resp, err = w.dialPreviewWS(host, "/ws", "http://"+w.previewHost(b, 8000))
		require.Error(t, err, "a WebSocket from another project's preview")
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		put := w.hostDo(t, "PUT", host, "/", map[string]string{"Origin": "http://evil.example"}, nil)
		require.Equal(t, http.StatusForbidden, put.StatusCode, "a non-simple request from another site")
		form := w.hostDo(t, "POST", host, "/", map[string]string{
			"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, strings.NewReader("a=1"))
		require.Equal(t, http.StatusOK, form.StatusCode, "a simple request passes: a form could send it anyway")
		read := w.hostDo(t, "GET", host, "/src/app.ts", map[string]string{"Origin": "http://" + w.previewHost(b, 8000)}, nil)
		require.Equal(t, http.StatusOK, read.StatusCode)
		require.Empty(t, read.Header.Get("Access-Control-Allow-Origin"),
			"another project's page may not read the answer, whatever the dev server grants")
		own := w.hostDo(t, "GET", host, "/", map[string]string{"Origin": "http://" + host}, nil)
		require.Equal(t, "http://"+host, own.Header.Get("Access-Control-Allow-Origin"), "the preview's own page keeps its grant")
	})

	t.Run("the API never on a preview Host, the proxy never on localhost", func(t *testing.T) {
		s := w.seenAt(t, a, 8000, "/api/v1/projects", nil)
		require.Equal(t, "alpha", s.ID, "the API path on a preview Host went to the dev server")
		require.Equal(t, "/api/v1/projects", s.Path)
		resp := w.hostDo(t, "GET", w.addr, "/hello", map[string]string{"Authorization": "Bearer " + w.token()}, nil)
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "the API's own 404")
		require.Empty(t, resp.Header.Get("X-Warden-Preview"))
		require.NotContains(t, string(body), "hello\n", "the dev server is not reachable on localhost:<port>")
	})

	require.Equal(t, started, w.containerStart("warden-"+a+"-agent")+w.containerStart("warden-"+b+"-agent"),
		"port edits restarted no container")

	t.Run("a stopped project gets 502", func(t *testing.T) {
		w.mustCLI("project", "stop", b)
		code, kind := w.previewStatus(t, w.previewHost(b, 8000), nil)
		require.Equal(t, http.StatusBadGateway, code)
		require.Equal(t, "project-stopped", kind)
		require.Equal(t, "alpha", w.seenAt(t, a, 8000, "/", nil).ID, "the other project is untouched")
	})
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
