package project

import (
	"fmt"
	"strconv"
)

// Limits bound what a project's agent container may take of the host, so a
// fork bomb or a leak in one project leaves the daemon and the other
// projects running. A zero field means its default (DefaultLimits).
type Limits struct {
	// PIDs caps the processes and threads in the agent container.
	PIDs int64 `json:"pids,omitempty"`
	// MemoryMB caps the agent container's memory (swap included) in MiB.
	MemoryMB int64 `json:"memoryMB,omitempty"`
	// CPUs caps the CPU time, in CPUs (1.5 is one and a half).
	CPUs float64 `json:"cpus,omitempty"`
}

// DefaultLimits are the limits of a project that sets none: room for a
// build with a language server and a test runner, not for a host's worth.
func DefaultLimits() Limits {
	return Limits{PIDs: 1024, MemoryMB: 4096, CPUs: 2}
}

// Bounds of what a project may set.
const (
	minPIDs     = 32
	maxPIDs     = 1 << 22
	minMemoryMB = 64
	maxMemoryMB = 1 << 22 // 4 TiB
	minCPUs     = 0.1
	maxCPUs     = 1024
)

// Effective fills the fields left zero with the defaults.
func (l Limits) Effective() Limits {
	d := DefaultLimits()
	if l.PIDs == 0 {
		l.PIDs = d.PIDs
	}
	if l.MemoryMB == 0 {
		l.MemoryMB = d.MemoryMB
	}
	if l.CPUs == 0 {
		l.CPUs = d.CPUs
	}
	return l
}

// checkLimits refuses a limit out of bounds; zero stays zero (the default).
func checkLimits(l Limits) (Limits, error) {
	if l.PIDs != 0 && (l.PIDs < minPIDs || l.PIDs > maxPIDs) {
		return Limits{}, fieldError("limits.pids", strconv.FormatInt(l.PIDs, 10),
			"is out of range; expect %d to %d processes, or 0 for the default (%d)", minPIDs, maxPIDs, DefaultLimits().PIDs)
	}
	if l.MemoryMB != 0 && (l.MemoryMB < minMemoryMB || l.MemoryMB > maxMemoryMB) {
		return Limits{}, fieldError("limits.memoryMB", strconv.FormatInt(l.MemoryMB, 10),
			"is out of range; expect %d to %d MiB, or 0 for the default (%d)", minMemoryMB, maxMemoryMB, DefaultLimits().MemoryMB)
	}
	if l.CPUs != 0 && !(l.CPUs >= minCPUs && l.CPUs <= maxCPUs) { // NaN fails both
		return Limits{}, fieldError("limits.cpus", strconv.FormatFloat(l.CPUs, 'g', -1, 64),
			"is out of range; expect %g to %g CPUs, or 0 for the default (%g)", minCPUs, float64(maxCPUs), DefaultLimits().CPUs)
	}
	return l, nil
}

// String reads "pids 1024, memory 4096 MiB, cpus 2".
func (l Limits) String() string {
	return fmt.Sprintf("pids %d, memory %d MiB, cpus %g", l.PIDs, l.MemoryMB, l.CPUs)
}
