package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The UI is served by the same handler, behind the same guard: the page
// needs a session (or another credential), carries none, and what the
// guard refuses never reaches it.
func TestUIIsMountedBehindTheGuard(t *testing.T) {
	navigation := map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	sameSite := map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	tests := []struct {
		name     string
		req      request
		session  bool
		code     int
		inBody   string
		location string
	}{
		{name: "page with a session", req: request{method: "GET", path: "/", auth: "-", header: navigation}, session: true, code: http.StatusOK, inBody: "<title>Warden</title>"},
		{name: "page on 127.0.0.1 with a session", req: request{method: "GET", path: "/", auth: "-", host: "127.0.0.1:8090", header: navigation}, session: true, code: http.StatusOK},
		{name: "page without a session goes to the login page", req: request{method: "GET", path: "/", auth: "-", header: navigation}, code: http.StatusSeeOther, location: "/login"},
		{name: "page fetched without a session", req: request{method: "GET", path: "/", auth: "-"}, code: http.StatusUnauthorized, inBody: "warden ui"},
		{name: "login page without a session", req: request{method: "GET", path: "/login", auth: "-", header: navigation}, code: http.StatusOK, inBody: "/static/js/login.js"},
		{name: "page on a preview host", req: request{method: "GET", path: "/", auth: "-", host: "a1b2c3d4e5f6-claude-code-5173.localhost:8090", header: navigation}, session: true, code: http.StatusMisdirectedRequest},
		{name: "page on a rebound name", req: request{method: "GET", path: "/", auth: "-", host: "evil.example:8090", header: navigation}, session: true, code: http.StatusMisdirectedRequest},
		{name: "page opened from a preview", req: request{method: "GET", path: "/", auth: "-", header: sameSite}, session: true, code: http.StatusForbidden},
		{name: "page fetched by another origin", req: request{method: "GET", path: "/", auth: "-", origin: "http://evil.example"}, session: true, code: http.StatusForbidden},
		{name: "script", req: request{method: "GET", path: "/static/js/app.js", auth: "-"}, code: http.StatusOK, inBody: "import"},
		{name: "page by POST", req: request{method: "POST", path: "/", body: "{}"}, code: http.StatusNotFound},
		{name: "unknown path is still the API's 404", req: request{method: "GET", path: "/nope"}, code: http.StatusNotFound, inBody: `"error"`},
		{name: "unknown path without credentials", req: request{method: "GET", path: "/nope", auth: "-"}, code: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			h, auth := newTestServerAuth(t, svc)
			if tt.session {
				tt.req.cookie = loginSession(t, auth)
			}
			rec := do(t, h, tt.req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			require.NotContains(t, rec.Body.String(), testToken, "no page carries the token")
			require.NotContains(t, rec.Body.String(), "warden-token")
			require.Contains(t, rec.Body.String(), tt.inBody)
			require.Equal(t, tt.location, rec.Header().Get("Location"))
			require.Zero(t, svc.calls.Load(), "serving the UI asks the daemon nothing")
		})
	}
}
