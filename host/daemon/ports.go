package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/shared"
)

// listeningTimeout bounds the sidecar call inside Ports.
const listeningTimeout = 2 * time.Second

// Ports is what the UI's port chips show for a project: the ports declared
// for previews, and the ports that actually listen in its namespace.
type Ports struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	AgentType string `json:"agentType"`
	Running   bool   `json:"running"`
	// Declared are the project's own ports merged with .warden.json's.
	Declared        []int  `json:"declared"`
	WardenFilePorts []int  `json:"wardenFilePorts"`
	WardenFileError string `json:"wardenFileError,omitempty"`
	// Listening are the TCP ports listening in the namespace, as the
	// sidecar found them; empty when the project does not run.
	Listening      []shared.ListeningPort `json:"listening"`
	ListeningError string                 `json:"listeningError,omitempty"`
}

// Ports returns the project's declared and listening ports.
func (d *Daemon) Ports(ctx context.Context, ref string) (Ports, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return Ports{}, err
	}
	w := d.wardenFile(p.ID)
	out := Ports{
		ID:              p.ID,
		Name:            p.Name,
		AgentType:       p.AgentType,
		Declared:        mergePorts(p.Ports, w.ports),
		WardenFilePorts: mergePorts(nil, w.ports),
		WardenFileError: w.err,
		Listening:       []shared.ListeningPort{},
	}
	pv, err := d.Preview(ctx, p.ID)
	if err != nil {
		return Ports{}, err
	}
	out.Running = pv.Running
	if !pv.Running {
		return out, nil
	}
	lctx, cancel := context.WithTimeout(ctx, listeningTimeout)
	defer cancel()
	listening, err := d.sc.Listening(lctx, d.rt.SocketPath(p.ID))
	if err != nil {
		out.ListeningError = err.Error()
		return out, nil
	}
	if listening != nil {
		out.Listening = listening
	}
	return out, nil
}
