package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const testToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

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

func TestPageCarriesTheTokenToANavigation(t *testing.T) {
	tests := map[string]map[string]string{
		"typed in the address bar":        {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a link on the UI itself":         {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		"a client without fetch metadata": {},
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			rec := get(t, New(testToken, nil), "/", header)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, "text/html; charset=utf-8", rec.Header().Get("Content-Type"))
			require.Contains(t, rec.Body.String(), `<meta name="warden-token" content="`+testToken+`">`)
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"), "no cache may keep the token")
			requireSecure(t, rec.Header())
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
			rec := get(t, New(testToken, nil), "/", header)
			require.Equal(t, http.StatusForbidden, rec.Code)
			require.NotContains(t, rec.Body.String(), testToken)
			requireSecure(t, rec.Header())
		})
	}
}

func TestPageEscapesWhatItIsFilledWith(t *testing.T) {
	rec := get(t, New(`"><script>alert(1)</script>`, nil), "/", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), "<script>alert(1)")
	require.Contains(t, rec.Body.String(), `content="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`)
}

func TestOnlyThePageAndStaticFilesAreServed(t *testing.T) {
	h := New(testToken, nil)
	for _, path := range []string{"/index.html", "/templates/index.html", "/static/", "/static/nope.js"} {
		rec := get(t, h, path, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, path)
		require.NotContains(t, rec.Body.String(), testToken, path)
	}
	rec := get(t, h, "/static/../templates/index.html", nil)
	require.NotEqual(t, http.StatusOK, rec.Code, "a path that climbs out of /static/ is cleaned first")
	require.NotContains(t, rec.Body.String(), testToken)
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
