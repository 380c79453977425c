// Package fast holds the preview proxy's throughput machinery, apart from
// what decides (routing, checks, the Content-Security-Policy, pages and
// ports, all in host/proxy, which asks through Router):
//
//	accepted ──► Server.Intercept: fast path, on the connection's
//	   │         goroutine: a plain request (GET or HEAD, no body, no
//	   │         upgrade, Router.Admit passed) is answered here; anything
//	   │         else ──► the HTTP server, for good (host/proxy's
//	   │         ServeHTTP over httputil.ReverseProxy and Transport)
//	   ▼ answered, kept alive
//	event loop (Linux, epoll): the browser connection and the dev server
//	   connection that answered it, as a pair; plain requests for the same
//	   dev server with answers of known length up to LoopAnswerMax are
//	   answered with no goroutine per request; anything else goes back to
//	   a goroutine with every byte read so far, and returns after
//
// Transport is the HTTP/1.1 client both the fast paths and host/proxy's
// ReverseProxy use: keep-alive per dev server (the key Router.Admit
// returns, dialled by host/proxy), each exchange on the calling goroutine,
// the wait for an answer head bounded, informational answers passed on.
//
// Every answer is what net/http's server and httputil.ReverseProxy over
// http.Transport would write, byte for byte but the Date: host/proxy's
// conformance test runs one table through every path and the reference.
package fast
