// Package presets is the one place that says which agent types Warden knows,
// which runtimes a project may enable, and which domains each of them needs.
// A new project's allowlist is filled from here (Domains) and stays editable;
// `warden presets` and GET /api/v1/presets list the same data.
//
//	agent type ──┐
//	             ├─► Domains(agentType, runtimes) = agent ∪ Infrastructure ∪ runtimes
//	runtimes  ───┘     (canonical, sorted, deduplicated)
//
// Every domain here is a canonical allowlist entry (shared.ParseDomain returns
// it unchanged); a test holds the data to that.
package presets
