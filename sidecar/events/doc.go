// Package events keeps the sidecar's recent blocked attempts, and its first
// contacts with allowed names (dns-allowed), counts them by kind, and hands
// new ones to live subscribers. A rejected connection to one of the host's
// addresses (SetHostAddrs) gets the reason "host port".
//
//	DNS filter (dns-refused) ─┐
//	                          ├─► Log.Record ─► ring of the last N events ─► Recent (GET /v1/events)
//	NFLOG reader (conn-rejected)┘            └─► each subscriber's channel ─► follow streams
//
// The log is bounded: once full, each new event pushes out the oldest. Record
// never waits for a subscriber; a subscriber whose channel is full misses the
// event, and the miss is counted (Dropped), so a stalled client can never slow
// the DNS filter or the NFLOG reader down.
package events
