package presets

import (
	"maps"
	"slices"
)

// Agent describes one agent type.
type Agent struct {
	// Name is the agent type as stored in a project, e.g. "claude-code".
	Name string `json:"name"`
	// DisplayName is how the agent is shown to users, e.g. "Claude Code".
	DisplayName string `json:"displayName"`
	// Image is the default agent image, used when a project names none.
	Image string `json:"image"`
	// Command starts the agent interactively inside its container.
	Command []string `json:"command"`
	// Domains are what the agent itself needs: its API and its login.
	Domains []string `json:"domains"`
}

// defaultImage is the image built locally for an agent type.
func defaultImage(name string) string {
	return "warden-agent-" + name + ":latest"
}

// Agents lists every known agent type, in the order they are shown.
func Agents() []Agent {
	out := make([]Agent, len(agents))
	for i, a := range agents {
		out[i] = a.clone()
	}
	return out
}

// Lookup returns the agent type called name.
func Lookup(name string) (Agent, bool) {
	for _, a := range agents {
		if a.Name == name {
			return a.clone(), true
		}
	}
	return Agent{}, false
}

// AgentNames lists the names of the known agent types, in the order they are
// shown.
func AgentNames() []string {
	out := make([]string, len(agents))
	for i, a := range agents {
		out[i] = a.Name
	}
	return out
}

// Runtimes maps each known runtime to the domains of its registries. The map
// is a copy; changing it changes nothing here.
func Runtimes() map[string][]string {
	out := make(map[string][]string, len(runtimes))
	for name, domains := range runtimes {
		out[name] = slices.Clone(domains)
	}
	return out
}

// RuntimeNames lists the known runtimes, sorted.
func RuntimeNames() []string {
	return slices.Sorted(maps.Keys(runtimes))
}

// Infrastructure lists the domains every agent gets whatever its runtimes.
func Infrastructure() []string {
	return slices.Clone(infrastructure)
}

// Domains is the preset allowlist of a new project: the agent type's own
// domains, the shared infrastructure and each runtime's registries, sorted
// and deduplicated. An unknown agent type or runtime adds nothing; validating
// them is the caller's job.
func Domains(agentType string, runtimeNames []string) []string {
	out := slices.Clone(infrastructure)
	if a, ok := Lookup(agentType); ok {
		out = append(out, a.Domains...)
	}
	for _, r := range runtimeNames {
		out = append(out, runtimes[r]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (a Agent) clone() Agent {
	a.Command = slices.Clone(a.Command)
	a.Domains = slices.Clone(a.Domains)
	return a
}
