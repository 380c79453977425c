package project

import (
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/presets"
	"github.com/warden-sh/warden/shared"
)

// AgentTypes is what a spec's agent type is checked against: the daemon's
// registry of built-in and plugin types (*agent.Registry).
type AgentTypes interface {
	Lookup(name string) (agent.Definition, bool)
	Names() []string
}

// Spec is what a user gives to create a project.
type Spec struct {
	Name      string   `json:"name"`
	Workspace string   `json:"workspace"`
	AgentType string   `json:"agentType"`
	Runtimes  []string `json:"runtimes,omitempty"`
	// Mode defaults to restricted when empty.
	Mode shared.Mode `json:"mode,omitempty"`
	// Domains nil means the presets of the agent type and runtimes; a
	// non-nil list, even empty, is used as given.
	Domains *[]string         `json:"domains,omitempty"`
	Ports   []int             `json:"ports,omitempty"`
	Image   string            `json:"image,omitempty"`
	Env     map[string]string `json:"env,omitempty"`

	// AllowSharedSuffixes accepts entries that have public suffixes under
	// them (amazonaws.com, over everyone's s3.amazonaws.com buckets), which
	// are refused otherwise.
	AllowSharedSuffixes bool `json:"allowSharedSuffixes,omitempty"`
	// GitConfigWritable lets the agent write .git/config, hooks and info
	// (see Project).
	GitConfigWritable bool `json:"gitConfigWritable,omitempty"`
	// PreviewCSPOff turns the previews' Content-Security-Policy off (see
	// Project).
	PreviewCSPOff bool `json:"previewCspOff,omitempty"`
	// Limits zero fields are the defaults.
	Limits Limits `json:"limits,omitempty"`
	// HostAccess defaults to shared.HostAll; HostPorts go with
	// shared.HostPorts.
	HostAccess shared.HostAccess `json:"hostAccess,omitempty"`
	HostPorts  []int             `json:"hostPorts,omitempty"`
}

// DefaultMode is the mode of a project whose Spec names none.
const DefaultMode = shared.ModeRestricted

// Build validates the whole spec and returns the new project, stopped, with
// policy generation 1 not yet applied. The agent type must be one of types.
// The first invalid field is returned as a *FieldError.
func (s Spec) Build(id string, now time.Time, types AgentTypes) (Project, error) {
	if err := checkID(id); err != nil {
		return Project{}, err
	}
	name, err := checkName(s.Name)
	if err != nil {
		return Project{}, err
	}
	workspace, err := checkWorkspace(s.Workspace)
	if err != nil {
		return Project{}, err
	}
	resolved := ""
	if _, claim := Claim(workspace); !claim {
		if resolved, err = ResolveWorkspace(workspace); err != nil {
			return Project{}, err
		}
		if err := CheckWorkspacePlace(workspace, resolved); err != nil {
			return Project{}, err
		}
	}
	agentType, err := checkAgentType(types, s.AgentType)
	if err != nil {
		return Project{}, err
	}
	runtimes, err := checkRuntimes(s.Runtimes)
	if err != nil {
		return Project{}, err
	}
	mode := DefaultMode
	if s.Mode != "" {
		if mode, err = checkMode(s.Mode); err != nil {
			return Project{}, err
		}
	}
	entries := presets.Domains(agentType.Domains, runtimes)
	if s.Domains != nil {
		entries = *s.Domains
	}
	domains, err := checkDomains("domains", entries)
	if err != nil {
		return Project{}, err
	}
	if err := checkSharedSuffixes("domains", domains, nil, s.AllowSharedSuffixes); err != nil {
		return Project{}, err
	}
	ports, err := checkPorts("ports", s.Ports)
	if err != nil {
		return Project{}, err
	}
	if err := checkImage(s.Image); err != nil {
		return Project{}, err
	}
	env, err := checkEnv(s.Env)
	if err != nil {
		return Project{}, err
	}
	limits, err := checkLimits(s.Limits)
	if err != nil {
		return Project{}, err
	}
	access, hostPorts, err := checkHostAccess(s.HostAccess, s.HostPorts)
	if err != nil {
		return Project{}, err
	}
	now = now.UTC() // drops the monotonic reading, so stored and read times compare equal
	return Project{
		ID:                id,
		Name:              name,
		Workspace:         workspace,
		WorkspaceResolved: resolved,
		AgentType:         s.AgentType,
		Runtimes:          runtimes,
		Mode:              mode,
		Domains:           domains,
		Ports:             ports,
		Image:             s.Image,
		Env:               env,
		Limits:            limits,
		// The host's ports, as the user chose them.
		HostAccess: access,
		HostPorts:  hostPorts,
		Desired:    DesiredStopped,
		// Only a user's choice turns the protection off.
		GitConfigWritable: s.GitConfigWritable,
		PreviewCSPOff:     s.PreviewCSPOff,
		PolicyGen:         1,
		CreatedAt:         now,
		UpdatedAt:         now,
	}, nil
}
