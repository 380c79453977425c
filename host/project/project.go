package project

import (
	"maps"
	"slices"
	"time"

	"github.com/warden-sh/warden/shared"
)

// Desired states of a project's containers.
const (
	DesiredRunning = "running"
	DesiredStopped = "stopped"
)

// Project is one agent with its workspace and network policy, as stored.
type Project struct {
	ID        string `json:"id"`        // 12 lower-case hex characters (NewID)
	Name      string `json:"name"`      // 1–64 printable characters
	Workspace string `json:"workspace"` // absolute host path, as given, or pvc:NAME (ClaimPrefix)
	// WorkspaceResolved is Workspace with every symbolic link followed when
	// the project was created: what is mounted at /workspace, and what the
	// path must still resolve to at every start.
	WorkspaceResolved string `json:"workspaceResolved,omitempty"`
	AgentType         string `json:"agentType"` // an agent type's name (host/agent), e.g. "claude-code"
	// Runtimes are the enabled runtimes (presets.RuntimeNames), sorted.
	Runtimes []string    `json:"runtimes"`
	Mode     shared.Mode `json:"mode"`
	// Domains is the allowlist in canonical form, sorted.
	Domains []string `json:"domains"`
	// Ports are the project's own forwarded ports, sorted; .warden.json may
	// add more at run time.
	Ports []int `json:"ports"`
	// Grants allow more names until they expire (WithGrant), sorted by
	// name; the daemon removes each when it expires.
	Grants []Grant `json:"grants,omitempty"`
	// Image is the agent image; empty means the agent type's default.
	Image string `json:"image"`
	// GitConfigWritable lets the agent write the workspace repository's
	// .git/config, .git/hooks and .git/info, which the user's own git runs
	// from; by default they are read-only in the agent.
	GitConfigWritable bool `json:"gitConfigWritable,omitempty"`
	// PreviewCSPOff leaves the previews of the project's dev servers
	// without Warden's Content-Security-Policy (host/proxy), so a preview
	// page may send what it holds to any site; by default the policy
	// confines restricted and none projects' pages to their allowlist.
	PreviewCSPOff bool `json:"previewCspOff,omitempty"`
	// Limits bound the agent container; zero fields are the defaults
	// (Limits.Effective).
	Limits Limits `json:"limits"`
	// HostAccess is what the agent reaches on the host; empty (a project
	// stored before the setting existed) is shared.HostAll. HostPorts,
	// sorted, count with shared.HostPorts only.
	HostAccess shared.HostAccess `json:"hostAccess"`
	HostPorts  []int             `json:"hostPorts"`
	// Env is set in the agent container; its values never leave the
	// daemon but for the container and the store (Env's own marshalling).
	Env     Env    `json:"env"`
	Desired string `json:"desired"` // DesiredRunning or DesiredStopped
	// PolicyGen counts changes of mode or allowlist; AppliedGen is the last
	// PolicyGen a sidecar confirmed.
	PolicyGen  uint64    `json:"policyGen"`
	AppliedGen uint64    `json:"appliedGen"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Policy is the network policy the project's sidecar must enforce: the
// allowlist and the names of the grants not yet removed.
func (p Project) Policy() shared.Policy {
	domains := slices.Clone(p.Domains)
	if domains == nil {
		domains = []string{}
	}
	if len(p.Grants) > 0 {
		for _, g := range p.Grants {
			domains = append(domains, g.Domain)
		}
		slices.Sort(domains)
		domains = slices.Compact(domains)
	}
	access := p.HostAccess
	if access == "" {
		access = shared.HostAll
	}
	var ports []int
	if access == shared.HostPorts {
		ports = slices.Clone(p.HostPorts)
	}
	return shared.Policy{Mode: p.Mode, Domains: domains, HostAccess: access, HostPorts: ports}
}

// Pending reports whether the stored policy is newer than the one a sidecar
// last confirmed.
func (p Project) Pending() bool {
	return p.PolicyGen != p.AppliedGen
}

// Clone returns a copy that shares no slice or map with p.
func (p Project) Clone() Project {
	p.Runtimes = cloneStrings(p.Runtimes)
	p.Domains = cloneStrings(p.Domains)
	p.Ports = cloneInts(p.Ports)
	p.HostPorts = cloneInts(p.HostPorts)
	p.Env = cloneEnv(p.Env)
	p.Grants = slices.Clone(p.Grants)
	return p
}

// Lists and maps are never nil, so a project reads the same as JSON ("[]",
// "{}") before and after a round trip through the store.

func cloneStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func cloneInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return slices.Clone(s)
}

func cloneEnv(m map[string]string) Env {
	if m == nil {
		return Env{}
	}
	return maps.Clone(m)
}
