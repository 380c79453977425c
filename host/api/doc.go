// Package api is the daemon's HTTP API under /api/v1, for the CLI and the
// web UI. It is a thin shell over daemon.Daemon: it decodes and bounds
// requests, maps errors to status codes and streams events.
//
//	listener ──► frontDoor ── Host under localhost ──► preview proxy (host/proxy)
//	                │           ({id}-{agent}-{port}.localhost)
//	                ▼ any other Host
//	request ──► accessLog ──► guard ──────────────────────► routes ──► Service
//	                           │ Host not localhost:<port>   → 421
//	                           │ foreign Origin, cross-site  → 403
//	                           │ mutating, no Bearer token   → 401
//
// The token lives in the data folder (TokenPath, mode 0600) and is only
// ever accepted in the Authorization header. Every refusal is JSON
// {"error": "...", "field": "...", "value": "..."}; field and value are set
// for validation errors (400).
package api
