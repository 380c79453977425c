package api

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// localNames are the only host names the API answers to. Every other Host
// (a preview such as abc-claude-code-5173.localhost, or a rebound public
// name) is for the reverse proxy or an attacker and never reaches a handler.
var localNames = map[string]bool{"localhost": true, "127.0.0.1": true, "[::1]": true}

// localHost splits a Host header into a lower-case name and port; ok is false
// unless the name is one of localNames and a port is present.
func localHost(host string) (port string, ok bool) {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.HasSuffix(host, "]") {
		return "", false
	}
	name, port := strings.ToLower(host[:i]), host[i+1:]
	if !localNames[name] || port == "" {
		return "", false
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return port, true
}

// guard refuses, in this order: a foreign Host (421), a foreign Origin or a
// cross-site fetch (403), and a mutating call without the token (401).
// Nothing else is allowed to reach next.
type guard struct {
	token []byte
	next  http.Handler
}

func (g guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	port, ok := localHost(r.Host)
	if !ok {
		writeError(w, http.StatusMisdirectedRequest, apiError{
			Message: "the API answers only to Host localhost:<port> or 127.0.0.1:<port>; got " + quote(r.Host),
		})
		return
	}
	if origin := r.Header.Values("Origin"); len(origin) > 0 {
		if len(origin) > 1 || !sameOrigin(origin[0], port) {
			writeError(w, http.StatusForbidden, apiError{
				Message: "requests from origin " + quote(strings.Join(origin, ", ")) +
					" are refused; only http://localhost:" + port + " and http://127.0.0.1:" + port + " may call the API",
			})
			return
		}
	}
	// A browser that sends no Origin still names the kind of fetch; a page on
	// another site (or a preview on a *.localhost sibling) must not read or
	// drive the API.
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		writeError(w, http.StatusForbidden, apiError{
			Message: "cross-site requests are refused (Sec-Fetch-Site: " + r.Header.Get("Sec-Fetch-Site") + ")",
		})
		return
	}
	if mutating(r.Method) && !g.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
		writeError(w, http.StatusUnauthorized, apiError{
			Message: "this call needs the header Authorization: Bearer <token>, with the token from the daemon's data folder",
		})
		return
	}
	g.next.ServeHTTP(w, r)
}

// sameOrigin accepts exactly the UI's own origins on the API's port.
func sameOrigin(origin, port string) bool {
	return origin == "http://localhost:"+port || origin == "http://127.0.0.1:"+port || origin == "http://[::1]:"+port
}

func mutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// authorized compares the bearer token in constant time. The token is only
// ever taken from the Authorization header, never from the URL.
func (g guard) authorized(r *http.Request) bool {
	auth := r.Header.Values("Authorization")
	if len(auth) != 1 {
		return false
	}
	scheme, tok, ok := strings.Cut(auth[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(g.token) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), g.token) == 1
}

// quote shows a header value safely in a message.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
