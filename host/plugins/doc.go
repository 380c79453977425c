// Package plugins loads agent types from separate executables through
// github.com/hashicorp/go-plugin, keeps them running and reports on each.
//
//	Config.Dir ──discover──► warden-agent-* executables (sorted by name)
//	                              │ one supervisor each, all at once
//	                              ▼
//	      launch: start process, handshake (agentplugin.Handshake, versioned,
//	              mutual TLS), Definition() ──► agent.Registry.Add (checked)
//	                              │
//	   failed ◄── never launched ─┤
//	                              ▼
//	   running ──process died──► restarting ──delay (doubling)──► launch
//
// A plugin that cannot be started, speaks another protocol version, returns
// an invalid definition or one whose name is taken is reported by name (in
// the log and in Status, which `warden presets` and the API show) and left
// out; the rest load. A plugin that ran once and died is restarted for as
// long as the daemon runs, the delay doubling up to MaxRestartDelay while it
// keeps dying quickly; its agent type stays usable meanwhile, since projects
// only need the definition it returned.
package plugins
