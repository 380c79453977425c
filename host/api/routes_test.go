package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// requestFor builds a request that the route's pattern matches, with its
// wildcards filled in.
func requestFor(t *testing.T, pattern string) *http.Request {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern+"no-such-route"
	}
	path = strings.NewReplacer("{id}", "web", "{domain}", "example.com", "{$}", "").Replace(path)
	if strings.HasSuffix(path, "/static/") {
		path += "app.css"
	}
	req := httptest.NewRequest(method, path, nil)
	req.Host = "localhost:8090"
	return req
}

// Every route of the router, reads included, refuses a caller without a
// credential, except the few publicRoutes (the login page, its code
// exchange and the files compiled into the binary). The table is the
// router's own: a route added to it is covered here without a word.
func TestEveryRouteNeedsAnAuthenticatedCaller(t *testing.T) {
	svc := newFakeService()
	svc.project.Env = map[string]string{"API_KEY": "s3cret-value"}
	full := &grantFake{fakeService: svc}
	s := newServer(full, NewAuth(testToken, testOrigin), testLogger(t))
	table := s.routeTable()
	mux := s.routes()
	guarded := NewServer(full, NewAuth(testToken, testOrigin), testLogger(t))

	seen := map[string]bool{}
	for _, rt := range table {
		t.Run(rt.pattern, func(t *testing.T) {
			req := requestFor(t, rt.pattern)
			_, matched := mux.Handler(req)
			require.Equal(t, rt.pattern, matched, "the request reaches the route it was built for")
			seen[rt.pattern] = true

			// The attack, with the guard switched off: the bare router
			// answers an anonymous local caller.
			bare := httptest.NewRecorder()
			mux.ServeHTTP(bare, requestFor(t, rt.pattern))
			require.NotEqual(t, http.StatusUnauthorized, bare.Code, "without the guard nothing asks for a credential")

			before := svc.calls.Load()
			rec := httptest.NewRecorder()
			guarded.ServeHTTP(rec, requestFor(t, rt.pattern))
			if publicRoutes[rt.pattern] {
				require.NotEqual(t, http.StatusUnauthorized, rec.Code)
				require.NotContains(t, rec.Body.String(), testToken)
				return
			}
			require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
			require.Equal(t, `Bearer realm="warden"`, rec.Header().Get("WWW-Authenticate"))
			e := errorBody(t, rec)
			for _, how := range []string{"warden.sock", "Authorization: Bearer", "WARDEN_TOKEN", "warden ui"} {
				require.Contains(t, e.Message, how, "the refusal says how to authenticate")
			}
			require.Equal(t, before, svc.calls.Load(), "nothing reached the daemon")
		})
	}
	// No answer of any route, to any caller, carries an env value.
	for _, rt := range table {
		req := requestFor(t, rt.pattern)
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		guarded.ServeHTTP(rec, req)
		require.NotContains(t, rec.Body.String(), "s3cret-value", rt.pattern)
	}
	for p := range publicRoutes {
		require.True(t, seen[p], "public route %q is not in the route table", p)
	}
	require.Len(t, publicRoutes, 3, "the public routes are the login page, its code exchange and the static files")
}
