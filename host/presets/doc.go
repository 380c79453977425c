// Package presets says which runtimes a project may enable, which domains
// each of them needs, and which domains every project gets. Agent types,
// with their own domains, are host/agent's. A new project's allowlist is
// filled from here (Domains) and stays editable; `warden presets` and
// GET /api/v1/presets list the same data.
//
//	agent type's domains ──┐
//	                       ├─► Domains(agentDomains, runtimes) = agent ∪ Infrastructure ∪ runtimes
//	runtimes            ───┘     (canonical, sorted, deduplicated)
//
// Every domain here is a canonical allowlist entry (shared.ParseDomain returns
// it unchanged); a test holds the data to that.
package presets
