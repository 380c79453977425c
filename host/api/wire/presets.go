package wire

import (
	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/plugins"
	"github.com/warden-sh/warden/host/project"
)

// Presets is what Warden knows of agent types and runtimes, the domains
// each adds to a new project's allowlist, and how its plugins fare.
type Presets struct {
	// Agents are the agent types, built-in first; an entry from a plugin
	// names it.
	Agents []agent.Entry `json:"agents"`
	// Runtimes maps each runtime to its registries' domains.
	Runtimes map[string][]string `json:"runtimes"`
	// Infrastructure is what every project gets.
	Infrastructure []string `json:"infrastructure"`
	// Plugins are the agent-type plugins found at start, loaded or not;
	// Status.Problem tells which need attention.
	Plugins []plugins.Status `json:"plugins"`
	// Limits are the agent container's limits where a project sets none.
	Limits project.Limits `json:"limits"`
}
