package presets

import (
	"maps"
	"slices"
)

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
// domains (agent.Definition.Domains), the shared infrastructure and each
// runtime's registries, sorted and deduplicated. An unknown runtime adds
// nothing; validating it is the caller's job.
func Domains(agentDomains, runtimeNames []string) []string {
	out := slices.Clone(infrastructure)
	out = append(out, agentDomains...)
	for _, r := range runtimeNames {
		out = append(out, runtimes[r]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
