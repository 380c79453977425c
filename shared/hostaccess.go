package shared

import (
	"fmt"
	"slices"
)

// HostAccess says what the agent may reach on the host
// (host.docker.internal), in every mode.
type HostAccess string

const (
	// HostAll reaches every port of the host but those closed to agents
	// (the daemon's own). It is the default.
	HostAll HostAccess = "all"
	// HostPorts reaches only the listed ports, TCP and UDP.
	HostPorts HostAccess = "ports"
	// HostNone reaches nothing on the host.
	HostNone HostAccess = "none"
)

// HostAccessAccepted says which settings are accepted, for messages.
const HostAccessAccepted = "expect all, ports (with a list of ports) or none"

// ParseHostAccess accepts the names above; empty is HostAll.
func ParseHostAccess(s string) (HostAccess, error) {
	switch a := HostAccess(s); a {
	case "":
		return HostAll, nil
	case HostAll, HostPorts, HostNone:
		return a, nil
	}
	return "", fmt.Errorf("unknown host access %q; %s", clip(s), HostAccessAccepted)
}

// CheckHostPorts returns the ports sorted, refusing one out of range or
// listed twice.
func CheckHostPorts(ports []int) ([]int, error) {
	out := slices.Clone(ports)
	slices.Sort(out)
	for i, p := range out {
		if p < 1 || p > 65535 {
			return nil, fmt.Errorf("host port %d: %s", p, PortAccepted)
		}
		if i > 0 && out[i-1] == p {
			return nil, fmt.Errorf("host port %d is listed twice; expect each port once", p)
		}
	}
	if out == nil {
		out = []int{}
	}
	return out, nil
}
