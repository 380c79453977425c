package proxy

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/proxy/internal/fast"

	"github.com/warden-sh/warden/shared"
)

func TestPreviewPolicyText(t *testing.T) {
	h := Host{ProjectID: testID, AgentType: "claude-code", Port: 5173, Listen: 8090}
	const a = "a1b2c3d4e5f6-claude-code-5173.localhost:8090"
	none := "default-src 'self'; connect-src 'self' ws://" + a + " wss://" + a +
		"; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'" +
		"; img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:" +
		"; frame-src 'self'; worker-src 'self'; form-action 'self'"
	const gh = "'self' https://github.com https://*.github.com https://npmjs.org https://*.npmjs.org"
	restricted := "default-src " + gh + "; connect-src " + gh + " ws://" + a + " wss://" + a +
		"; script-src " + gh + " 'unsafe-inline' 'unsafe-eval'; style-src " + gh + " 'unsafe-inline'" +
		"; img-src " + gh + " data: blob:; font-src " + gh + " data:; media-src " + gh + " data: blob:" +
		"; frame-src " + gh + "; worker-src " + gh + "; form-action " + gh
	allowed := []string{"github.com", "!gist.github.com", "npmjs.org"}
	for _, tc := range []struct {
		name string
		t    Target
		want string
	}{
		{"none", Target{Mode: shared.ModeNone, Allowed: allowed}, none},
		{"restricted, deny entries left out", Target{Mode: shared.ModeRestricted, Allowed: allowed}, restricted},
		{"restricted, nothing allowed", Target{Mode: shared.ModeRestricted}, none},
		{"restricted, a name no source expression may hold", Target{Mode: shared.ModeRestricted, Allowed: []string{"a.example; script-src *"}}, none},
		{"full", Target{Mode: shared.ModeFull, Allowed: allowed}, ""},
		{"none, switched off", Target{Mode: shared.ModeNone, CSPOff: true}, ""},
		{"restricted, switched off", Target{Mode: shared.ModeRestricted, Allowed: allowed, CSPOff: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, previewPolicy(h, tc.t))
			var c policyCache
			require.Equal(t, tc.want, c.get(h, tc.t), "cached")
			require.Equal(t, tc.want, c.get(h, tc.t), "cached, second read")
		})
	}
	// Without a listener port in the Host, the origin has none either.
	require.Contains(t, previewPolicy(Host{ProjectID: testID, AgentType: "codex", Port: 3000}, Target{Mode: shared.ModeNone}),
		"connect-src 'self' ws://a1b2c3d4e5f6-codex-3000.localhost wss://a1b2c3d4e5f6-codex-3000.localhost;")
}

// The cache tells projects apart by their allowlist's identity: a new
// list (an edit) is a new policy.
func TestPolicyCacheFollowsEdits(t *testing.T) {
	h := Host{ProjectID: testID, AgentType: "claude-code", Port: 5173, Listen: 8090}
	var c policyCache
	a := c.get(h, Target{Mode: shared.ModeRestricted, Allowed: []string{"github.com"}})
	require.Contains(t, a, "https://github.com")
	b := c.get(h, Target{Mode: shared.ModeRestricted, Allowed: []string{"gitlab.com"}})
	require.Contains(t, b, "https://gitlab.com")
	require.NotContains(t, b, "github.com")
	require.Equal(t, previewPolicy(h, Target{Mode: shared.ModeNone}), c.get(h, Target{Mode: shared.ModeNone}))
	other := h
	other.Listen = 9000
	require.Contains(t, c.get(other, Target{Mode: shared.ModeNone}), "ws://a1b2c3d4e5f6-claude-code-5173.localhost:9000 ")
}

// policyBackend answers with a CSP of its own, on every kind of answer.
func policyBackend(t *testing.T) int {
	return backend(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			wsEcho(t).ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
		switch r.URL.Path {
		case "/ws-refused":
			http.Error(w, "no sockets here", http.StatusForbidden)
		case "/large":
			w.Header().Set("Content-Length", fmt.Sprint(3*fast.LoopAnswerMax))
			_, _ = w.Write([]byte(strings.Repeat("x", 3*fast.LoopAnswerMax)))
		case "/stream":
			fmt.Fprint(w, "one,")
			w.(http.Flusher).Flush()
			fmt.Fprint(w, "two")
		case "/early":
			w.WriteHeader(http.StatusEarlyHints)
			fmt.Fprint(w, "after hints")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
		}
	}))
}

// Every answer passed on, on every path, carries the dev server's policy
// and Warden's, Warden's as the project is at the time of the answer.
func TestPreviewPolicyOnEveryPath(t *testing.T) {
	port := policyBackend(t)
	const own = "frame-ancestors 'none'"
	for name, fast := range paths {
		t.Run(name, func(t *testing.T) {
			e := newEnvOn(t, fast, port)
			e.projects.edit(testID, func(tg *Target) { tg.Mode = shared.ModeNone })
			h := Host{ProjectID: testID, AgentType: "claude-code", Port: port, Listen: e.listen}
			none := previewPolicy(h, Target{Mode: shared.ModeNone})
			check := func(t *testing.T, label string, resp *http.Response, want ...string) {
				t.Helper()
				require.Equal(t, want, resp.Header.Values("Content-Security-Policy"), label)
			}

			c := e.raw(t)
			for _, path := range []string{"/", "/again", "/large", "/stream", "/early", "/empty", "/last"} {
				c.send(t, get(e.host(port), path))
				resp, _ := c.read(t, "GET")
				check(t, path, resp, own, none)
			}
			check(t, "POST", e.do(t, "POST", port, "/upload", nil), own, none)
			check(t, "HEAD", e.do(t, "HEAD", port, "/", nil), own, none)

			ws, resp, err := dialWS(t, e, port, "")
			require.NoError(t, err)
			ws.CloseNow()
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			require.Equal(t, []string{none}, resp.Header.Values("Content-Security-Policy"), "the 101")
			refused := e.do(t, "GET", port, "/ws-refused", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket"})
			require.Equal(t, http.StatusForbidden, refused.StatusCode)
			check(t, "refused upgrade", refused, own, none)

			// Live edits reach the next answer on the same connection.
			e.projects.edit(testID, func(tg *Target) {
				tg.Mode, tg.Allowed = shared.ModeRestricted, []string{"github.com"}
			})
			restricted := previewPolicy(h, Target{Mode: shared.ModeRestricted, Allowed: []string{"github.com"}})
			require.Contains(t, restricted, "https://*.github.com")
			for _, path := range []string{"/a", "/b"} {
				c.send(t, get(e.host(port), path))
				resp, _ := c.read(t, "GET")
				check(t, path, resp, own, restricted)
			}
			e.projects.edit(testID, func(tg *Target) { tg.CSPOff = true })
			c.send(t, get(e.host(port), "/off"))
			resp, _ = c.read(t, "GET")
			check(t, "switched off", resp, own)
			e.projects.edit(testID, func(tg *Target) { tg.CSPOff, tg.Mode = false, shared.ModeFull })
			c.send(t, get(e.host(port), "/full"))
			resp, _ = c.read(t, "GET")
			check(t, "full", resp, own)
			check(t, "POST, full", e.do(t, "POST", port, "/upload", nil), own)
		})
	}
}
