package api

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
)

// previewMarker stands in for the proxy and says it was reached.
var previewMarker = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(proxy.PageHeader, "marker")
	_, _ = io.WriteString(w, "preview")
})

func TestFrontDoorRoutesByHostAlone(t *testing.T) {
	svc := newFakeService()
	h := frontDoor{api: newTestServer(t, svc), previews: previewMarker}
	const preview = "a1b2c3d4e5f6-claude-code-5173.localhost:8090"
	for _, tc := range []struct {
		name, host, path string
		code             int
		toProxy          bool
	}{
		{"API on localhost", "localhost:8090", "/api/v1/health", 200, false},
		{"API on 127.0.0.1", "127.0.0.1:8090", "/api/v1/health", 200, false},
		{"API on [::1]", "[::1]:8090", "/api/v1/health", 200, false},
		{"a preview", preview, "/", 200, true},
		{"API path on a preview host goes to the proxy", preview, "/api/v1/health", 200, true},
		{"upper case preview", "A1B2C3D4E5F6-CLAUDE-CODE-5173.LOCALHOST:8090", "/api/v1/projects", 200, true},
		{"trailing dot preview", "a1b2c3d4e5f6-claude-code-5173.localhost.:8090", "/", 200, true},
		{"malformed preview is the proxy's to refuse", "nope.localhost:8090", "/api/v1/health", 200, true},
		{"bad preview port is the proxy's to refuse", "a1b2c3d4e5f6-claude-code-0.localhost:8090", "/", 200, true},
		{"rebinding name", "evil.example:8090", "/api/v1/health", 421, false},
		{"preview name under another domain", "a1b2c3d4e5f6-claude-code-5173.localhost.evil.example:8090", "/api/v1/health", 421, false},
		{"no port", "localhost", "/api/v1/health", 421, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, request{method: "GET", path: tc.path, host: tc.host})
			require.Equal(t, tc.code, rec.Code, rec.Body.String())
			if tc.toProxy {
				require.Equal(t, "marker", rec.Header().Get(proxy.PageHeader))
				require.Equal(t, "preview", rec.Body.String())
			} else {
				require.Empty(t, rec.Header().Get(proxy.PageHeader), "the proxy never answers a local Host")
			}
		})
	}
	require.EqualValues(t, 0, svc.calls.Load(), "health needs no service call; nothing else reached it")
}

func TestFrontDoorWithTheRealProxy(t *testing.T) {
	svc := newFakeService()
	px, err := proxy.New(proxy.Config{}, previewTargets{fakePreviews{}}, nil)
	require.NoError(t, err)
	h := frontDoor{api: newTestServer(t, svc), previews: px}
	rec := do(t, h, request{method: "GET", path: "/api/v1/projects", host: "a1b2c3d4e5f6-claude-code-5173.localhost:8090"})
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, proxy.PageUnknownProject, rec.Header().Get(proxy.PageHeader))
	require.EqualValues(t, 0, svc.calls.Load(), "the API never saw it")
}

// fakePreviews knows no project.
type fakePreviews struct{}

func (fakePreviews) Preview(ctx context.Context, id string) (daemon.Preview, error) {
	return daemon.Preview{}, daemon.ErrNotFound
}

func (fakePreviews) PreviewCached(id string) (daemon.Preview, bool) { return daemon.Preview{}, false }
