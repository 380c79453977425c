// Package proxy serves the agent's dev servers to the user's browser at
// http://{projectId}-{agentType}-{port}.localhost:8090/: no DNS, hosts file
// or Docker port binding, since browsers resolve *.localhost to loopback.
// The daemon's listener sends it every request whose Host is a preview host
// (IsPreviewHost); nothing else reaches it, and it never reaches the API.
//
//	request ──► ParseHost ──────────────── malformed name or port        → 400
//	            Origin check ────────────── foreign Origin on an upgrade
//	                                        or a non-simple request      → 403
//	            Projects.Preview(id) ────── unknown project / agent type → 404
//	            port 53, undeclared port ── (checked on every request)   → 403
//	            stopped, not running ───────────────────────────────────→ 502
//	            Upgrade? ── yes ─► serveUpgrade: dial, hand the 101 back,
//	                 │             relay.Join (no buffer held while idle)
//	                 no ─► httputil.ReverseProxy over fast.Transport, a
//	                       keep-alive HTTP/1.1 client (Host kept, Origin and
//	                       Referer untouched, X-Forwarded-* set, bodies
//	                       streamed, event streams flushed as written); an
//	                       answer to another origin loses its CORS grants
//
//	dial(project, port) ──► the project's address:port on its Docker network
//	                   └─ refused there ─► the sidecar's relay over its control
//	                      socket (control.DialRelay) to 127.0.0.1:port in the
//	                      namespace; remembered, so that port goes to the relay
//	                      first from then on
//	                   (Target.Dial set: only through it, e.g. the Kubernetes
//	                   API server's port-forward; a refused port shows at the
//	                   first read as syscall.ECONNREFUSED → "nothing listens")
//
// Connections are pooled per project and port, never by address, so a
// connection to one project is never handed to another.
//
// Every answer passed on gets Warden's Content-Security-Policy as the
// project is at that moment (csp.go), and loses CORS grants to other
// origins; a dev server slow to answer is bounded by Config.AnswerTimeout.
//
// The speed lives apart, in internal/fast: the fast path that answers
// plain requests on the connection's goroutine, the epoll event loops, and
// the backend transport (fast.Transport) that ReverseProxy uses here too.
// They ask this package what to do through fast.Router (router, in
// fastpaths.go): Admit runs the checks above, Prepare sets the headers
// above, Failed writes the pages. Config.Fast (warden serve
// --preview-fast=false) leaves every connection to the HTTP server.
package proxy
