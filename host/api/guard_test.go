package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGuard(t *testing.T) {
	const projects = "/api/v1/projects"
	const start = "/api/v1/projects/web/start"
	tests := []struct {
		name string
		req  request
		code int
	}{
		{"cli read", request{method: "GET", path: projects}, http.StatusOK},
		{"read without credentials", request{method: "GET", path: projects, auth: "-"}, http.StatusUnauthorized},
		{"read over the socket", request{method: "GET", path: projects, auth: "-", socket: true}, http.StatusOK},
		{"socket needs no local Host", request{method: "POST", path: start, auth: "-", socket: true, host: "anything"}, http.StatusOK},
		{"socket still refuses a foreign origin", request{method: "POST", path: start, auth: "-", socket: true, origin: "https://evil.example"}, http.StatusForbidden},
		{"cli read 127.0.0.1", request{method: "GET", path: projects, host: "127.0.0.1:8090"}, http.StatusOK},
		{"cli read ::1", request{method: "GET", path: projects, host: "[::1]:8090"}, http.StatusOK},
		{"cli mutate with token", request{method: "POST", path: start}, http.StatusOK},
		{"ui mutate with token", request{method: "POST", path: start, origin: "http://localhost:8090"}, http.StatusOK},
		{"ui read from 127.0.0.1", request{method: "GET", path: projects, host: "127.0.0.1:8090", origin: "http://127.0.0.1:8090"}, http.StatusOK},
		{"same-origin fetch", request{method: "GET", path: projects, header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, http.StatusOK},
		{"same-origin fetch without credentials", request{method: "GET", path: projects, auth: "-", header: map[string]string{"Sec-Fetch-Site": "same-origin"}}, http.StatusUnauthorized},
		{"typed in address bar", request{method: "GET", path: projects, header: map[string]string{"Sec-Fetch-Site": "none"}}, http.StatusOK},
		{"bad token and no fallback", request{method: "GET", path: projects, auth: "Bearer nope", socket: false}, http.StatusUnauthorized},
		{"two Authorization headers", request{method: "GET", path: projects, header: map[string]string{}, auth: "Bearer " + testToken + ", Bearer x"}, http.StatusUnauthorized},

		{"preview host", request{method: "GET", path: projects, host: "abc-claude-code-5173.localhost:8090"}, http.StatusMisdirectedRequest},
		{"preview host mutating", request{method: "POST", path: start, host: "abc-claude-code-5173.localhost:8090"}, http.StatusMisdirectedRequest},
		{"rebound name", request{method: "GET", path: projects, host: "attacker.example:8090"}, http.StatusMisdirectedRequest},
		{"host without port", request{method: "GET", path: projects, host: "localhost"}, http.StatusMisdirectedRequest},
		{"lan address", request{method: "GET", path: projects, host: "192.168.1.5:8090"}, http.StatusMisdirectedRequest},
		{"localhost suffix trick", request{method: "GET", path: projects, host: "localhost.attacker.example:8090"}, http.StatusMisdirectedRequest},
		{"bad port", request{method: "GET", path: projects, host: "localhost:80x"}, http.StatusMisdirectedRequest},

		{"web page mutates with token", request{method: "POST", path: start, origin: "https://evil.example"}, http.StatusForbidden},
		{"web page mutates without token", request{method: "POST", path: start, origin: "https://evil.example", auth: "-"}, http.StatusForbidden},
		{"web page reads", request{method: "GET", path: projects, origin: "https://evil.example", auth: "-"}, http.StatusForbidden},
		{"dev server on another port", request{method: "POST", path: start, origin: "http://localhost:5173"}, http.StatusForbidden},
		{"preview origin", request{method: "POST", path: start, origin: "http://abc-claude-code-5173.localhost:8090"}, http.StatusForbidden},
		{"https origin", request{method: "GET", path: projects, origin: "https://localhost:8090"}, http.StatusForbidden},
		{"null origin", request{method: "POST", path: start, origin: "null"}, http.StatusForbidden},
		{"cross-site without origin", request{method: "GET", path: projects, auth: "-", header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
		{"same-site preview without origin", request{method: "GET", path: projects, auth: "-", header: map[string]string{"Sec-Fetch-Site": "same-site"}}, http.StatusForbidden},

		{"mutate without token", request{method: "POST", path: start, auth: "-"}, http.StatusUnauthorized},
		{"delete without token", request{method: "DELETE", path: "/api/v1/projects/web", auth: "-"}, http.StatusUnauthorized},
		{"wrong token", request{method: "POST", path: start, auth: "Bearer nope"}, http.StatusUnauthorized},
		{"token one char short", request{method: "POST", path: start, auth: "Bearer " + testToken[1:]}, http.StatusUnauthorized},
		{"basic scheme", request{method: "POST", path: start, auth: "Basic " + testToken}, http.StatusUnauthorized},
		{"token in query", request{method: "POST", path: start + "?token=" + testToken, auth: "-"}, http.StatusUnauthorized},
		{"token in access_token query", request{method: "POST", path: start + "?access_token=" + testToken, auth: "-"}, http.StatusUnauthorized},
		{"options preflight", request{method: "OPTIONS", path: start, auth: "-", origin: "https://evil.example"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), tt.req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"), "no CORS, ever")
			if tt.code != http.StatusOK {
				errorBody(t, rec)
				require.Zero(t, svc.calls.Load(), "a refused request never reaches the daemon")
			} else {
				require.NotZero(t, svc.calls.Load())
			}
			if tt.code == http.StatusUnauthorized {
				require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
			}
		})
	}
}

func TestGuardEmptyTokenRefusesEverything(t *testing.T) {
	svc := newFakeService()
	h := NewServer(svc, NewAuth("", testOrigin), nil)
	rec := do(t, h, request{method: "POST", path: "/api/v1/projects/web/start", auth: "Bearer "})
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Zero(t, svc.calls.Load())
}

// A browser session is a credential only together with the UI's own
// Origin for anything that changes something.
func TestGuardSessions(t *testing.T) {
	const start = "/api/v1/projects/web/start"
	tests := []struct {
		name string
		req  request
		code int
	}{
		{"session reads", request{method: "GET", path: "/api/v1/projects", auth: "-"}, http.StatusOK},
		{"session mutates from the UI", request{method: "POST", path: start, auth: "-", origin: "http://localhost:8090"}, http.StatusOK},
		{"session mutates without Origin", request{method: "POST", path: start, auth: "-"}, http.StatusForbidden},
		{"session mutates from a preview", request{method: "POST", path: start, auth: "-", origin: "http://a1b2c3d4e5f6-claude-code-5173.localhost:8090"}, http.StatusForbidden},
		{"a bad bearer voids the cookie", request{method: "GET", path: "/api/v1/projects", auth: "Bearer nope"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			h, auth := newTestServerAuth(t, svc)
			tt.req.cookie = loginSession(t, auth)
			rec := do(t, h, tt.req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			if tt.code != http.StatusOK {
				require.Zero(t, svc.calls.Load())
			}
		})
	}
	t.Run("unknown session", func(t *testing.T) {
		svc := newFakeService()
		rec := do(t, newTestServer(t, svc), request{method: "GET", path: "/api/v1/projects", auth: "-", cookie: testToken})
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	})
}
