package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// codeOf is the code in a login address's fragment.
func codeOf(t *testing.T, lc LoginCode) string {
	t.Helper()
	base, code, ok := strings.Cut(lc.URL, "#")
	require.True(t, ok, lc.URL)
	require.Equal(t, testOrigin+LoginPath, base)
	require.Len(t, code, 64)
	return code
}

func loginBodyFor(code string) string {
	b, _ := json.Marshal(loginBody{Code: code})
	return string(b)
}

// sessionFrom is the session cookie a login answer set.
func sessionFrom(t *testing.T, rec interface{ Result() *http.Response }) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie was set")
	return nil
}

func TestLoginCodeWorksOnceAndBecomesAnHttpOnlyStrictCookie(t *testing.T) {
	svc := newFakeService()
	h, _ := newTestServerAuth(t, svc)
	// `warden ui` asks for an address, authenticated.
	rec := do(t, h, request{method: "POST", path: "/api/v1/login-codes"})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var lc LoginCode
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &lc))
	code := codeOf(t, lc)
	require.WithinDuration(t, time.Now().Add(LoginCodeTTL), lc.ExpiresAt, 5*time.Second)

	login := request{method: "POST", path: LoginPath, auth: "-", origin: testOrigin, body: loginBodyFor(code)}
	rec = do(t, h, login)
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	c := sessionFrom(t, rec)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.NotContains(t, c.Value, code, "the session is not the code")

	rec = do(t, h, request{method: "GET", path: "/api/v1/projects", auth: "-", cookie: c.Value})
	require.Equal(t, http.StatusOK, rec.Code, "the session is a credential")

	// The code is spent: a second use (someone who read the terminal) fails.
	rec = do(t, h, login)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Contains(t, errorBody(t, rec).Message, "warden ui")
	require.Empty(t, rec.Result().Cookies())

	// Logout ends the session for good.
	rec = do(t, h, request{method: "POST", path: "/logout", auth: "-", cookie: c.Value, origin: testOrigin})
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	require.Equal(t, -1, sessionFrom(t, rec).MaxAge, "the browser drops the cookie")
	rec = do(t, h, request{method: "GET", path: "/api/v1/projects", auth: "-", cookie: c.Value})
	require.Equal(t, http.StatusUnauthorized, rec.Code, "a logged-out session is no credential")
}

func TestLoginCodeExpires(t *testing.T) {
	auth := NewAuth(testToken, testOrigin)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	auth.now = func() time.Time { return now }
	fresh, err := auth.NewLoginCode()
	require.NoError(t, err)
	late, err := auth.NewLoginCode()
	require.NoError(t, err)

	now = now.Add(LoginCodeTTL - time.Second)
	id, ok := auth.redeem(codeOf(t, fresh))
	require.True(t, ok, "a code works until it expires")
	require.True(t, auth.session(id))

	now = now.Add(time.Second)
	_, ok = auth.redeem(codeOf(t, late))
	require.False(t, ok, "an expired code fails")

	now = now.Add(SessionTTL)
	require.False(t, auth.session(id), "a session expires too")
}

func TestLoginRefusals(t *testing.T) {
	tests := []struct {
		name string
		req  request
		code int
	}{
		{"unknown code", request{method: "POST", path: LoginPath, auth: "-", origin: testOrigin, body: loginBodyFor(testToken)}, http.StatusUnauthorized},
		{"empty code", request{method: "POST", path: LoginPath, auth: "-", origin: testOrigin, body: `{"code":""}`}, http.StatusUnauthorized},
		{"the token is not a code", request{method: "POST", path: LoginPath, auth: "-", origin: testOrigin, body: loginBodyFor(testToken)}, http.StatusUnauthorized},
		{"another site posts a code", request{method: "POST", path: LoginPath, auth: "-", origin: "https://evil.example", body: `{"code":"x"}`}, http.StatusForbidden},
		{"a form post", request{method: "POST", path: LoginPath, auth: "-", origin: testOrigin, body: "code=x", contentType: "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
		{"minting a code needs a credential", request{method: "POST", path: "/api/v1/login-codes", auth: "-"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, newTestServer(t, newFakeService()), tt.req)
			require.Equal(t, tt.code, rec.Code, rec.Body.String())
			require.Empty(t, rec.Result().Cookies())
		})
	}
}

func TestLoginCodesAreBounded(t *testing.T) {
	auth := NewAuth(testToken, testOrigin)
	first, err := auth.NewLoginCode()
	require.NoError(t, err)
	for range maxLoginCodes {
		_, err := auth.NewLoginCode()
		require.NoError(t, err)
	}
	require.Len(t, auth.codes, maxLoginCodes)
	_, ok := auth.redeem(codeOf(t, first))
	require.False(t, ok, "the oldest code made room")
}
