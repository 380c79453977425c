package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Host = "localhost:8090"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPageCarriesNoCredential(t *testing.T) {
	tests := map[string]map[string]string{
		"typed in the address bar":        {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a link on the UI itself":         {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a client without fetch metadata": {},
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/", "/login"} {
				rec := get(t, New(nil), path, header)
				require.Equal(t, http.StatusOK, rec.Code)
				require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
				require.NotContains(t, rec.Body.String(), "warden-token")
				require.NotContains(t, rec.Body.String(), "<meta name=\"warden")
				require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
				requireSecure(t, rec.Header())
			}
		})
	}
}

func TestPageRefusesWhatIsNotANavigation(t *testing.T) {
	tests := map[string]map[string]string{
		"another site":              {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a preview sibling":         {"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a fetch from the UI":       {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"},
		"a no-cors fetch":           {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"},
		"an iframe":                 {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
		"a script tag":              {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"},
		"an object on another site": {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "object"},
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			rec := get(t, New(nil), "/", header)
			require.Equal(t, http.StatusForbidden, rec.Code)
			requireSecure(t, rec.Header())
		})
	}
}

func TestOnlyThePageAndStaticFilesAreServed(t *testing.T) {
	h := New(nil)
	for _, path := range []string{"/index.html", "/templates/index.html", "/static/", "/static/nope.js", "/login.html"} {
		rec := get(t, h, path, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, path)
	}
	rec := get(t, h, "/static/../templates/index.html", nil)
	require.NotEqual(t, http.StatusOK, rec.Code, "a path that climbs out of /static/ is cleaned first")
}

func requireSecure(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		require.Contains(t, csp, want)
	}
	require.NotContains(t, csp, "unsafe-inline")
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	require.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"))
	require.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
	require.False(t, strings.Contains(h.Get("Access-Control-Allow-Origin"), "*"))
}
