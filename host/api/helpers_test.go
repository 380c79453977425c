package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	testToken  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	testOrigin = "http://localhost:8090"
)

func newTestServer(t *testing.T, svc Service) http.Handler {
	t.Helper()
	h, _ := newTestServerAuth(t, svc)
	return h
}

func newTestServerAuth(t *testing.T, svc Service) (http.Handler, *Auth) {
	t.Helper()
	auth := NewAuth(testToken, testOrigin)
	return NewServer(svc, auth, slog.New(slog.NewTextHandler(t.Output(), nil))), auth
}

// loginSession spends a fresh login code and returns the session id.
func loginSession(t *testing.T, auth *Auth) string {
	t.Helper()
	lc, err := auth.NewLoginCode()
	require.NoError(t, err)
	_, code, _ := strings.Cut(lc.URL, "#")
	id, ok := auth.redeem(code)
	require.True(t, ok)
	return id
}

// request describes one call; zero fields take the CLI's usual values.
type request struct {
	method, path, body string
	host, origin       string
	auth               string // "" means the right token, "-" none
	cookie             string // a session cookie's value
	socket             bool   // as if it came over the unix socket
	contentType        string
	header             map[string]string
}

func (r request) build() *http.Request {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.socket {
		req = req.WithContext(withSocket(req.Context(), 0))
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: r.cookie})
	}
	req.Host = "localhost:8090"
	if r.host != "" {
		req.Host = r.host
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	switch r.auth {
	case "":
		req.Header.Set("Authorization", "Bearer "+testToken)
	case "-":
	default:
		req.Header.Set("Authorization", r.auth)
	}
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return req
}

func do(t *testing.T, h http.Handler, r request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r.build())
	return rec
}

// errorBody decodes a refusal.
func errorBody(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"), rec.Body.String())
	var e apiError
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
	require.NotEmpty(t, e.Message)
	return e
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}
