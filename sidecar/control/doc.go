// Package control is the sidecar's control API: HTTP with JSON bodies on a
// unix socket in a host folder the agent never sees. The host daemon uses
// Client; the sidecar serves Server.
//
//	host daemon ── Client ──► unix socket (Listen: mode 0600, parent 0700)
//	                            │
//	                            ▼ Server.Handler
//	GET  /healthz            → "ok"
//	GET  /v1/status          → Engine.Status
//	PUT  /v1/policy          → decodePolicy (1 MiB cap, unknown fields refused,
//	                           whole policy validated) → Engine.Apply
//	GET  /v1/events[?limit=N] → events.Log.Recent, as a JSON list
//	GET  /v1/events?follow=1 → backlog, then live events, one JSON object per
//	                           line, until the client goes away
//	GET  /v1/listening       → Namespace.Listening: the agent's listening TCP ports
//	GET  /v1/relay?port=N    → (Upgrade: warden-relay) Namespace.DialLoopback(N),
//	                           101, then the bytes both ways (relay.Join): how
//	                           the host's preview proxy reaches a dev server
//	                           bound to 127.0.0.1 in the namespace (DialRelay)
//
// Nothing reaches the engine unless the whole body parsed and validated; a
// refusal is a 400 whose {"error": ...} names the bad entry and what would
// be accepted.
package control
