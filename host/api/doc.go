// Package api is the daemon's HTTP API under /api/v1, for the CLI and the
// web UI. It is a thin shell over daemon.Daemon: it decodes and bounds
// requests, maps errors to status codes and streams events.
//
//	TCP listener ──► frontDoor ── Host under localhost ──► preview proxy (host/proxy)
//	                   │           ({id}-{agent}-{port}.localhost)
//	                   ▼ any other Host
//	request ──► accessLog ──► guard ──────────────────────────► routes ──► Service
//	  ▲                        │ Host not localhost:<port>       → 421 (not on the socket)
//	  │                        │ foreign Origin, cross-site      → 403
//	unix socket                │ no credential, route not public → 401
//	(warden.sock)              │ session cookie, change, no Origin → 403
//
// A caller is authenticated (Auth) by the connection it came on (the unix
// socket in the data folder, mode 0660: file permissions decide), by the
// token (TokenPath, mode 0600; only ever taken from the Authorization
// header), or by a session cookie (HttpOnly, SameSite=Strict) made from a
// one-time login code that `warden serve` and `warden ui` print. Only the
// login page, its code exchange and the static files are public
// (publicRoutes); every other route of the table, now or later, needs a
// credential. Every refusal is JSON {"error": "...", "field": "...",
// "value": "..."}; field and value are set for validation errors (400).
package api
