package shared

import "fmt"

// Policy is what the host asks a sidecar to enforce. Domains are used only in
// restricted mode but are kept in every mode, so switching back restores them.
type Policy struct {
	Mode    Mode     `json:"mode"`
	Domains []string `json:"domains"`
	// Cut asks the sidecar to cut the open connections to the addresses
	// that only the names this change removes held; without it they stay
	// open until they close. A change of mode that allows less always cuts
	// what the new mode does not allow.
	Cut bool `json:"cut,omitempty"`
	// HostAccess and HostPorts say what the agent reaches on the host;
	// empty is HostAll. HostPorts count only with HostPorts.
	HostAccess HostAccess `json:"hostAccess,omitempty"`
	HostPorts  []int      `json:"hostPorts,omitempty"`
}

// ValidPolicy is a Policy whose mode and entries have been checked and put in
// canonical form.
type ValidPolicy struct {
	Mode       Mode
	Domains    []Domain
	Cut        bool
	HostAccess HostAccess // never empty
	HostPorts  []int      // sorted; empty unless HostAccess is HostPorts
}

// Validate checks the whole policy and returns it in canonical form; nothing
// is returned unless every part is valid.
func (p Policy) Validate() (ValidPolicy, error) {
	mode, err := ParseMode(string(p.Mode))
	if err != nil {
		return ValidPolicy{}, err
	}
	domains, err := ParseDomains(p.Domains)
	if err != nil {
		return ValidPolicy{}, err
	}
	access, err := ParseHostAccess(string(p.HostAccess))
	if err != nil {
		return ValidPolicy{}, err
	}
	var ports []int
	if access == HostPorts {
		if ports, err = CheckHostPorts(p.HostPorts); err != nil {
			return ValidPolicy{}, err
		}
	} else if len(p.HostPorts) > 0 {
		return ValidPolicy{}, fmt.Errorf("host ports %v given with host access %q; they count only with \"ports\"", p.HostPorts, access)
	}
	return ValidPolicy{Mode: mode, Domains: domains, Cut: p.Cut, HostAccess: access, HostPorts: ports}, nil
}

// Allowed lists the policy's allow entries (AllowEntries).
func (v ValidPolicy) Allowed() []Domain { return AllowEntries(v.Domains) }

// Policy turns the canonical form back into the wire form.
func (v ValidPolicy) Policy() Policy {
	p := Policy{Mode: v.Mode, Domains: make([]string, len(v.Domains)), Cut: v.Cut, HostAccess: v.HostAccess, HostPorts: v.HostPorts}
	for i, d := range v.Domains {
		p.Domains[i] = string(d)
	}
	return p
}

// Diff lists the entries of next that v lacks (added) and those of v that
// next lacks (removed).
func (v ValidPolicy) Diff(next ValidPolicy) (added, removed []Domain) {
	old := make(map[Domain]bool, len(v.Domains))
	for _, d := range v.Domains {
		old[d] = true
	}
	now := make(map[Domain]bool, len(next.Domains))
	for _, d := range next.Domains {
		now[d] = true
		if !old[d] {
			added = append(added, d)
		}
	}
	for _, d := range v.Domains {
		if !now[d] {
			removed = append(removed, d)
		}
	}
	return added, removed
}

func (v ValidPolicy) String() string {
	return fmt.Sprintf("%s (%d domains)", v.Mode, len(v.Domains))
}
