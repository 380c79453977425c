package shared

import "fmt"

// Mode is what an agent may reach on the network.
type Mode string

const (
	// ModeFull places no restriction on the agent.
	ModeFull Mode = "full"
	// ModeRestricted lets the agent reach names on the allowlist and the host.
	ModeRestricted Mode = "restricted"
	// ModeNone lets the agent reach only loopback and the host.
	ModeNone Mode = "none"
)

// Modes lists every accepted mode, in the order they are shown to users.
var Modes = []Mode{ModeFull, ModeRestricted, ModeNone}

// ParseMode accepts exactly the names in Modes.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown network mode %q; expect full, restricted or none", s)
}
