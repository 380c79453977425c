package wire

import (
	"time"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// Status is everything known about one project right now.
type Status struct {
	Project project.Project `json:"project"`
	// Running is true when both containers run and the agent is in the
	// sidecar's current namespace.
	Running bool `json:"running"`
	// Containers is the engine's view; Containers.Error says what is wrong.
	Containers State `json:"containers"`
	// RuntimeError is set when the engine could not be asked, or the last
	// attempt to start the project failed.
	RuntimeError string `json:"runtimeError,omitempty"`
	// Sidecar is the sidecar's own report, when it answered.
	Sidecar      *shared.Status `json:"sidecar,omitempty"`
	SidecarError string         `json:"sidecarError,omitempty"`
	// PolicyPending is true while the stored policy is newer than the one
	// the sidecar confirmed.
	PolicyPending bool `json:"policyPending"`
	// Ports are the forwarded ports: the project's own merged with those
	// .warden.json declares.
	Ports           []int  `json:"ports"`
	WardenFilePorts []int  `json:"wardenFilePorts"`
	WardenFileError string `json:"wardenFileError,omitempty"`
}

// State is what the engine says about a project's containers.
type State struct {
	Sidecar ContainerState `json:"sidecar"`
	Agent   ContainerState `json:"agent"`
	// Running is true when both run and the agent is in the sidecar's
	// current namespace.
	Running bool `json:"running"`
	// Error says what is wrong, when something is: a container that
	// exited with an error, or an agent left in an old namespace.
	Error string `json:"error,omitempty"`
}

// ContainerState describes one container.
type ContainerState struct {
	ID string `json:"id,omitempty"`
	// Status is the engine's: "created", "running", "restarting",
	// "exited", ...; StatusMissing when there is no such container.
	Status    string    `json:"status"`
	StartedAt time.Time `json:"startedAt,omitzero"`
	// IP is the project's address on the sidecar's network; the agent shares
	// it.
	IP string `json:"ip,omitempty"`
	// Health is the agent type's health check as the engine last judged
	// it: "starting", "healthy" or "unhealthy"; empty without one.
	Health string `json:"health,omitempty"`
}
