package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/api/wire"
)

// statusTimeout bounds the sidecar status call inside Status.
const statusTimeout = 2 * time.Second

// Status is the API's wire type (host/api/wire).
type Status = wire.Status

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
