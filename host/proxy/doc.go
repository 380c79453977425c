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
//	                 no ─► httputil.ReverseProxy over backendTransport, a
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
//
// Connections are pooled per project and port, never by address, so a
// connection to one project is never handed to another.
//
// How a browser connection is served (Intercept, in front of the HTTP
// server that runs ServeHTTP):
//
//	accepted ──► fast path, on the connection's goroutine: a plain
//	   │         request (GET or HEAD, no body, no upgrade, all checks
//	   │         passed) is answered here; anything else ──► HTTP server,
//	   │         for good (the API and UI, uploads, WebSockets, refusals)
//	   ▼ answered, kept alive
//	event loop (Linux, epoll): the browser connection and the dev server
//	   connection that answered it, as a pair; plain requests for the same
//	   project and port with answers of known length up to 64 KiB are
//	   answered with no goroutine per request; anything else goes back to
//	   a goroutine with every byte read so far, and returns after
package proxy
