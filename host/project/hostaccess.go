package project

import (
	"strconv"

	"github.com/warden-sh/warden/shared"
)

// checkHostAccess returns the access (empty becomes shared.HostAll) and its
// ports, sorted; ports are refused with any access but shared.HostPorts,
// and that one needs at least one.
func checkHostAccess(access shared.HostAccess, ports []int) (shared.HostAccess, []int, error) {
	a, err := shared.ParseHostAccess(string(access))
	if err != nil {
		return "", nil, fieldError("hostAccess", string(access), "is not a host access; %s", shared.HostAccessAccepted)
	}
	if a != shared.HostPorts {
		if len(ports) > 0 {
			return "", nil, fieldError("hostPorts", joinPorts(ports), "count only with host access \"ports\"; set hostAccess to ports, or give no ports")
		}
		return a, []int{}, nil
	}
	if len(ports) == 0 {
		return "", nil, fieldError("hostPorts", "", "is empty; host access \"ports\" needs at least one port (or use \"none\")")
	}
	out, err := checkPorts("hostPorts", ports)
	if err != nil {
		return "", nil, err
	}
	return a, out, nil
}

func joinPorts(ports []int) string {
	s := ""
	for i, p := range ports {
		if i > 0 {
			s += ","
		}
		s += strconv.Itoa(p)
	}
	return s
}

// hostAccessOf reads a stored project's access, empty being shared.HostAll.
func hostAccessOf(p Project) shared.HostAccess {
	if p.HostAccess == "" {
		return shared.HostAll
	}
	return p.HostAccess
}
