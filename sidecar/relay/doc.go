// Package relay lets the host's preview proxy reach a dev server that
// listens only on the loopback of the agent's namespace (Vite's default,
// 127.0.0.1:5173), with no new listener in that namespace:
//
//	host proxy ── unix socket (control: GET /v1/relay?port=N, Upgrade) ──► sidecar
//	                                                     │ Dialer.DialLoopback(N)
//	                                                     ▼
//	                                    127.0.0.1:N, else [::1]:N, in the namespace
//	then Join copies bytes both ways until both sides are done.
//
// The dialer only ever dials the two loopback addresses, never an address it
// is given, and refuses the sidecar's own listeners (its DNS filter) and
// port 53, which the firewall redirects to that filter. Join is also what
// the host proxy uses for WebSocket tunnels: an idle connection holds no
// copy buffer, only its two goroutines.
package relay
