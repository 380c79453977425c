package api

import (
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
// cross-site fetch (403), and a caller that is not authenticated (401),
// unless the route it asks for is one of publicRoutes. A session cookie
// changes nothing without the UI's own Origin. Nothing else reaches next.
// Requests on the unix socket skip the Host check: no browser can send one.
type guard struct {
	auth *Auth
	mux  *http.ServeMux
}

// publicRoutes are the only patterns an unauthenticated caller may reach:
// the login page and its code exchange, and the files compiled into the
// binary that the login page loads. Every other route, including any
// added later, needs a credential.
var publicRoutes = map[string]bool{
	"GET " + LoginPath:  true,
	"POST " + LoginPath: true,
	"GET /static/":      true,
}

func (g guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	socket := onSocket(r.Context())
	port, ok := localHost(r.Host)
	if !ok && !socket {
		writeError(w, http.StatusMisdirectedRequest, apiError{
			Message: "the API answers only to Host localhost:<port> or 127.0.0.1:<port>; got " + quote(r.Host),
		})
		return
	}
	origin := r.Header.Values("Origin")
	if len(origin) > 0 {
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
	_, pattern := g.mux.Handler(r)
	switch who := g.auth.identify(r); {
	case who == anonymous && !publicRoutes[pattern]:
		unauthenticated(w, r)
		return
	case who == viaSession && mutating(r.Method) && len(origin) == 0:
		// Browsers send Origin with every call that changes something; a
		// request with the cookie and without it did not come from the UI.
		writeError(w, http.StatusForbidden, apiError{
			Message: "a browser session changes something only from the UI's own page (the request has no Origin)",
		})
		return
	}
	g.mux.ServeHTTP(w, r)
}

// unauthenticated answers 401 and says how to authenticate; a browser
// opening a page instead goes to the login page, which says the same.
func unauthenticated(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate" && !strings.HasPrefix(r.URL.Path, Prefix+"/") {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, LoginPath, http.StatusSeeOther)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	writeError(w, http.StatusUnauthorized, apiError{Message: "this call needs an authenticated caller: " + howToAuthenticate})
}

// howToAuthenticate is what a refused caller is told.
const howToAuthenticate = "use the warden CLI on this machine (it talks over the unix socket warden.sock in the daemon's data folder); " +
	"or send Authorization: Bearer <token> with the token from the file token in the data folder (WARDEN_TOKEN for the CLI with --addr); " +
	"or, in a browser, open the one-time login address that `warden serve` and `warden ui` print"

// sameOrigin accepts exactly the UI's own origins on the API's port.
func sameOrigin(origin, port string) bool {
	return origin == "http://localhost:"+port || origin == "http://127.0.0.1:"+port || origin == "http://[::1]:"+port
}

func mutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}

// quote shows a header value safely in a message.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}
