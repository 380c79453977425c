package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/shared"
)

// statusTimeout bounds the sidecar status call inside Status.
const statusTimeout = 2 * time.Second

// Status is everything known about one project right now.
type Status struct {
	Project project.Project `json:"project"`
	// Running is true when both containers run and the agent is in the
	// sidecar's current namespace.
	Running bool `json:"running"`
	// Containers is the engine's view; Containers.Error says what is wrong.
	Containers runtime.State `json:"containers"`
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

// Status reports the project's containers, its sidecar's own status, its
// policy's state and its forwarded ports.
func (d *Daemon) Status(ctx context.Context, ref string) (Status, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return Status{}, err
	}
	st := Status{Project: p, PolicyPending: p.Pending()}
	state, err := d.rt.State(ctx, p.ID)
	if err != nil {
		st.RuntimeError = err.Error()
	} else {
		st.Containers, st.Running = state, state.Running
	}
	if msg := d.startError(p.ID); msg != "" && st.RuntimeError == "" {
		st.RuntimeError = "last start failed: " + msg
	}
	if err != nil || running(state.Sidecar) {
		sctx, cancel := context.WithTimeout(ctx, statusTimeout)
		s, err := d.sc.Status(sctx, d.rt.SocketPath(p.ID))
		cancel()
		if err != nil {
			st.SidecarError = err.Error()
		} else {
			st.Sidecar = &s
		}
	}
	w := d.wardenFile(p.ID)
	st.WardenFilePorts = mergePorts(nil, w.ports)
	st.WardenFileError = w.err
	st.Ports = mergePorts(p.Ports, w.ports)
	return st, nil
}
