// Package shared holds the values the host daemon and the sidecar exchange: the
// network policy (mode and allowlist), the sidecar's status and the events it
// records. Names are parsed once here into typed, validated values, so both
// sides accept and refuse exactly the same input.
//
//	host (API, CLI) ──Policy (JSON)──► sidecar control socket ──► engine
//	host          ◄──Status, Event (JSON)── sidecar
package shared
