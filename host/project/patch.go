package project

import (
	"maps"
	"slices"
	"time"

	"github.com/warden-sh/warden/host/agent"

	"github.com/warden-sh/warden/shared"
)

// Patch is an edit of a project. A nil or empty field leaves the setting as
// it is. The allowlist and the port list are edited in this order: replace
// (Domains, Ports), then add, then remove. Adding what is already there and
// removing what is not are no-ops, so a retried edit does no harm.
type Patch struct {
	Name          *string      `json:"name,omitempty"`
	Mode          *shared.Mode `json:"mode,omitempty"`
	Domains       *[]string    `json:"domains,omitempty"`
	AddDomains    []string     `json:"addDomains,omitempty"`
	RemoveDomains []string     `json:"removeDomains,omitempty"`
	Ports         *[]int       `json:"ports,omitempty"`
	AddPorts      []int        `json:"addPorts,omitempty"`
	RemovePorts   []int        `json:"removePorts,omitempty"`
	// Image "" returns to the agent type's default image.
	Image *string `json:"image,omitempty"`
	// Env replaces the environment; SetEnv then sets variables and
	// UnsetEnv removes them, keeping the others.
	Env      *map[string]string `json:"env,omitempty"`
	SetEnv   map[string]string  `json:"setEnv,omitempty"`
	UnsetEnv []string           `json:"unsetEnv,omitempty"`
	// Runtimes records the enabled runtimes; it does not change the
	// allowlist, which stays exactly what the user set.
	Runtimes *[]string `json:"runtimes,omitempty"`

	// AllowSharedSuffixes accepts new entries (in Domains or AddDomains)
	// that have public suffixes under them; see Spec.
	AllowSharedSuffixes bool `json:"allowSharedSuffixes,omitempty"`
	// GitConfigWritable and Limits take effect at the next start.
	GitConfigWritable *bool   `json:"gitConfigWritable,omitempty"`
	Limits            *Limits `json:"limits,omitempty"`
	// PreviewCSPOff takes effect at the previews' next answer.
	PreviewCSPOff *bool `json:"previewCspOff,omitempty"`
	// CutConnections asks the sidecar to cut the open connections to the
	// addresses of the domains this edit removes (otherwise they stay open
	// until they close). It is part of this edit only, never stored.
	CutConnections bool `json:"cutConnections,omitempty"`
	// HostAccess and HostPorts are applied live, like the allowlist;
	// HostPorts alone keeps the access as it is.
	HostAccess *shared.HostAccess `json:"hostAccess,omitempty"`
	HostPorts  *[]int             `json:"hostPorts,omitempty"`
}

// Apply validates the whole patch and returns the edited project. On any
// refusal it returns a *FieldError and no project; p itself is never
// modified. PolicyGen is bumped when the mode or the allowlist changes, and
// UpdatedAt is set to now when anything changes.
func (p Project) Apply(patch Patch, now time.Time) (Project, error) {
	next := p.Clone()
	var err error
	if patch.Name != nil {
		if next.Name, err = checkName(*patch.Name); err != nil {
			return Project{}, err
		}
	}
	if patch.Mode != nil {
		if next.Mode, err = checkMode(*patch.Mode); err != nil {
			return Project{}, err
		}
	}
	if next.Domains, err = patchDomains(next.Domains, patch); err != nil {
		return Project{}, err
	}
	if next.Ports, err = patchPorts(next.Ports, patch); err != nil {
		return Project{}, err
	}
	if patch.Image != nil {
		if err := checkImage(*patch.Image); err != nil {
			return Project{}, err
		}
		next.Image = *patch.Image
	}
	if next.Env, err = patchEnv(next.Env, patch); err != nil {
		return Project{}, err
	}
	if patch.Runtimes != nil {
		if next.Runtimes, err = checkRuntimes(*patch.Runtimes); err != nil {
			return Project{}, err
		}
	}

	if patch.HostAccess != nil || patch.HostPorts != nil {
		access, ports := next.HostAccess, next.HostPorts
		if patch.HostAccess != nil {
			access = *patch.HostAccess
			if access != shared.HostPorts && patch.HostPorts == nil {
				ports = nil
			}
		}
		if patch.HostPorts != nil {
			ports = *patch.HostPorts
		}
		if next.HostAccess, next.HostPorts, err = checkHostAccess(access, ports); err != nil {
			return Project{}, err
		}
	}
	if patch.GitConfigWritable != nil {
		next.GitConfigWritable = *patch.GitConfigWritable
	}
	if patch.PreviewCSPOff != nil {
		next.PreviewCSPOff = *patch.PreviewCSPOff
	}
	if patch.Limits != nil {
		if next.Limits, err = checkLimits(*patch.Limits); err != nil {
			return Project{}, err
		}
	}

	if next.Mode != p.Mode || !slices.Equal(next.Domains, p.Domains) ||
		hostAccessOf(next) != hostAccessOf(p) || !slices.Equal(next.HostPorts, p.HostPorts) {
		next.PolicyGen++
	}
	if !sameSettings(p, next) {
		next.UpdatedAt = now.UTC()
	}
	return next, nil
}

func patchDomains(list []string, patch Patch) ([]string, error) {
	old := list
	if patch.Domains != nil {
		next, err := checkDomains("domains", *patch.Domains)
		if err != nil {
			return nil, err
		}
		if err := checkSharedSuffixes("domains", next, old, patch.AllowSharedSuffixes); err != nil {
			return nil, err
		}
		list = next
	}
	if len(patch.AddDomains) > 0 {
		add, err := checkDomains("addDomains", patch.AddDomains)
		if err != nil {
			return nil, err
		}
		if err := checkSharedSuffixes("addDomains", add, old, patch.AllowSharedSuffixes); err != nil {
			return nil, err
		}
		list = append(slices.Clone(list), add...)
		slices.Sort(list)
		list = slices.Compact(list)
	}
	for _, entry := range patch.RemoveDomains {
		d, err := parseDomain("removeDomains", entry)
		if err != nil {
			// An entry stored before the rules tightened may no longer
			// parse; it can still be removed by its exact spelling.
			if !slices.Contains(list, entry) {
				return nil, err
			}
			d = entry
		}
		list = slices.DeleteFunc(list, func(s string) bool { return s == d })
	}
	return list, nil
}

func patchPorts(list []int, patch Patch) ([]int, error) {
	var err error
	if patch.Ports != nil {
		if list, err = checkPorts("ports", *patch.Ports); err != nil {
			return nil, err
		}
	}
	for _, port := range patch.AddPorts {
		if err := checkPort("addPorts", port); err != nil {
			return nil, err
		}
		if !slices.Contains(list, port) {
			list = append(list, port)
		}
	}
	slices.Sort(list)
	for _, port := range patch.RemovePorts {
		if err := checkPort("removePorts", port); err != nil {
			return nil, err
		}
		list = slices.DeleteFunc(list, func(p int) bool { return p == port })
	}
	return list, nil
}

// sameSettings compares everything but the time stamps; nil and empty lists
// are the same.
func sameSettings(a, b Project) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Workspace == b.Workspace &&
		a.AgentType == b.AgentType && slices.Equal(a.Runtimes, b.Runtimes) &&
		a.Mode == b.Mode && slices.Equal(a.Domains, b.Domains) &&
		slices.Equal(a.Ports, b.Ports) && a.Image == b.Image && maps.Equal(a.Env, b.Env) &&
		a.Desired == b.Desired && a.PolicyGen == b.PolicyGen && a.AppliedGen == b.AppliedGen &&
		a.GitConfigWritable == b.GitConfigWritable && a.PreviewCSPOff == b.PreviewCSPOff && a.Limits == b.Limits &&
		a.HostAccess == b.HostAccess && slices.Equal(a.HostPorts, b.HostPorts)
}

// patchEnv replaces, then sets, then unsets variables. Unsetting one that
// is not set is a no-op, so a retried edit does no harm.
func patchEnv(env Env, patch Patch) (Env, error) {
	next := env.Values()
	if patch.Env != nil {
		next = maps.Clone(*patch.Env)
	}
	if next == nil {
		next = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(patch.SetEnv)) {
		if !agent.ValidEnvName(k) {
			return nil, fieldError("setEnv", k, "is not a valid variable name; %s", envAccepted)
		}
		next[k] = patch.SetEnv[k]
	}
	for _, k := range patch.UnsetEnv {
		if !agent.ValidEnvName(k) {
			return nil, fieldError("unsetEnv", k, "is not a valid variable name; %s", envAccepted)
		}
		delete(next, k)
	}
	return checkEnv(next)
}
