// Package agent is the one description of an agent type in Warden: what it
// takes to run one agent (its name as used in preview URLs, display name,
// image, command, environment, the folders it keeps its login and settings
// in, the domains it needs and a health check), and the registry of every
// type the daemon knows.
//
//	built-in types (builtin.go) ──┐
//	                              ├─► Type.Definition() ─► Check ─► Registry
//	plugins (host/plugins) ───────┘        (canonical, validated)      │
//	                                                                   ├─► project: agentType validation, preset domains
//	                                                                   ├─► runtime: image, env, folders, command, health check
//	                                                                   └─► daemon: GET /api/v1/presets, `warden presets`
//
// Built-in and plugin types go through the same interface (Type) and the same
// checks, so a definition in the registry is always valid: a plugin cannot
// name itself what a preview URL cannot carry, nor hand the policy a domain a
// user could not type.
package agent
