package agent

import (
	"maps"
	"slices"
)

// Definition is everything Warden needs to know to run one agent type.
type Definition struct {
	// Name is the agent type as stored in a project and used in preview
	// URLs ({project}-{name}-{port}.localhost): lower-case letters, digits
	// and dashes, such as "claude-code".
	Name string `json:"name"`
	// DisplayName is how the type is shown to users, such as "Claude Code".
	DisplayName string `json:"displayName"`
	// Image is the agent image used when a project names none.
	Image string `json:"image"`
	// Command starts the agent interactively inside its container (through
	// exec; the container's own process only keeps it up).
	Command []string `json:"command"`
	// Env is set in the agent container; a project's own env wins.
	Env map[string]string `json:"env,omitempty"`
	// ConfigFolders are the folders, as absolute paths inside the
	// container under a home folder, where the agent keeps its login and
	// settings. Each is bound from a folder the daemon keeps per project,
	// so a login survives the container's recreation.
	ConfigFolders []string `json:"configFolders,omitempty"`
	// Domains are what the agent itself needs (its API and its login);
	// they fill a new project's allowlist with the shared presets.
	Domains []string `json:"domains"`
	// HealthCheck is a command run inside the agent container from time to
	// time; exit status 0 means the agent is installed and can run.
	HealthCheck []string `json:"healthCheck"`
}

// Clone returns a copy that shares nothing with d.
func (d Definition) Clone() Definition {
	d.Command = slices.Clone(d.Command)
	d.Env = maps.Clone(d.Env)
	d.ConfigFolders = slices.Clone(d.ConfigFolders)
	d.Domains = slices.Clone(d.Domains)
	d.HealthCheck = slices.Clone(d.HealthCheck)
	return d
}

// DefaultImage is the image `make images` builds for an agent type.
func DefaultImage(name string) string {
	return "warden-agent-" + name + ":latest"
}
