package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// The UI is served by the same handler, behind the same guard, so what the
// guard refuses never reaches the page or its token.
func TestUIIsMountedBehindTheGuard(t *testing.T) {
	navigation := map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	sameSite := map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
	tests := []struct {
		name   string
		req    request
		code   int
		token  bool
		inBody string
	}{
		{name: "page on localhost", req: request{method: "GET", path: "/", auth: "-", header: navigation}, code: http.StatusOK, token: true},
		{name: "page on 127.0.0.1", req: request{method: "GET", path: "/", auth: "-", host: "127.0.0.1:8090", header: navigation}, code: http.StatusOK, token: true},
		{name: "page on a preview host", req: request{method: "GET", path: "/", auth: "-", host: "a1b2c3d4e5f6-claude-code-5173.localhost:8090", header: navigation}, code: http.StatusMisdirectedRequest},
		{name: "page on a rebound name", req: request{method: "GET", path: "/", auth: "-", host: "evil.example:8090", header: navigation}, code: http.StatusMisdirectedRequest},
		{name: "page opened from a preview", req: request{method: "GET", path: "/", auth: "-", header: sameSite}, code: http.StatusForbidden},
		{name: "page fetched by another origin", req: request{method: "GET", path: "/", auth: "-", origin: "http://evil.example"}, code: http.StatusForbidden},
		{name: "script", req: request{method: "GET", path: "/static/js/app.js", auth: "-"}, code: http.StatusOK, inBody: "import"},
		{name: "page by POST", req: request{method: "POST", path: "/", body: "{}"}, code: http.StatusNotFound},
		{name: "unknown path is still the API's 404", req: request{method: "GET", path: "/nope", auth: "-"}, code: http.StatusNotFound, inBody: `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newFakeService()
			rec := do(t, newTestServer(t, svc), tt.req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			if tt.token {
				require.Contains(t, rec.Body.String(), `<meta name="warden-token" content="`+testToken+`">`)
			} else {
				require.NotContains(t, rec.Body.String(), testToken)
			}
			require.Contains(t, rec.Body.String(), tt.inBody)
			require.Zero(t, svc.calls.Load(), "serving the UI asks the daemon nothing")
		})
	}
}
