package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
)

// sampleTimeout bounds one sidecar's status call during a scrape; a sidecar
// slower than that counts as down for this scrape.
const sampleTimeout = time.Second

// sampleWorkers is how many sidecars are asked at once.
const sampleWorkers = 16

// ProjectSample is what a metrics scrape reads of one project.
type ProjectSample struct {
	ID   string
	Name string
	Mode shared.Mode
	// Running is true when the project is meant to run: its sidecar is
	// expected to answer.
	Running bool
	// Sidecar is the sidecar's last status, nil when it did not answer or
	// the project is not meant to run.
	Sidecar *shared.Status
	// AuditDropped counts audit records dropped for the bound.
	AuditDropped uint64
}

// Sample reads every project and asks the sidecars of those meant to run
// for their status, in parallel.
func (d *Daemon) Sample(ctx context.Context) ([]ProjectSample, error) {
	ps, err := d.store.List()
	if err != nil {
		return nil, err
	}
	out := make([]ProjectSample, len(ps))
	sem := make(chan struct{}, sampleWorkers)
	var wg sync.WaitGroup
	for i, p := range ps {
		out[i] = ProjectSample{ID: p.ID, Name: p.Name, Mode: p.Mode, Running: p.Desired == project.DesiredRunning}
		if page, err := d.store.Audit(p.ID, store.Query{Tail: 1}); err == nil {
			out[i].AuditDropped = page.Dropped
		}
		if !out[i].Running {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sctx, cancel := context.WithTimeout(ctx, sampleTimeout)
			defer cancel()
			if st, err := d.sc.Status(sctx, d.rt.SocketPath(p.ID)); err == nil {
				out[i].Sidecar = &st
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// ObserveApply has fn called after every policy push a sidecar confirmed,
// with the time from sending to confirmation. Set it before Run.
func (d *Daemon) ObserveApply(fn func(projectID string, took time.Duration)) { d.onApply = fn }
