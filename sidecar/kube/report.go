package kube

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/events"
)

// Defaults of the Reporter.
const (
	// DefaultReportInterval is the shortest time between two status
	// reports, and how often the listening ports are looked at.
	DefaultReportInterval = time.Second
	// DefaultHeartbeat is the longest time between two status reports (and
	// two ports reports), as the daemon expects it.
	DefaultHeartbeat = shared.KubeReportHeartbeat
	// reportBuffer is how many events may wait for the writer before the
	// events log counts a miss (shared.EventCounters.SubscriberMisses).
	reportBuffer = 4096
)

// Reporter writes the sidecar's events, counters and listening ports as
// report lines (shared.KubeReport) to Out, the container's standard output,
// which the daemon follows through the API server.
type Reporter struct {
	Out io.Writer
	// Status is the engine's status; Events holds its events and counts.
	Status func() shared.Status
	Events *events.Log
	// Ports lists the namespace's listening TCP ports.
	Ports    func() ([]shared.ListeningPort, error)
	Interval time.Duration
	// Heartbeat repeats an unchanged status and ports list.
	Heartbeat time.Duration
	Log       *slog.Logger

	boot string
	seq  uint64
}

// Run writes reports until ctx ends: the events the log holds and every new
// one in order, the status when it changes (at most once per Interval) and
// the ports when they change, both at least once per Heartbeat.
func (r *Reporter) Run(ctx context.Context) error {
	if r.Interval <= 0 {
		r.Interval = DefaultReportInterval
	}
	if r.Heartbeat <= 0 {
		r.Heartbeat = DefaultHeartbeat
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	r.Log = r.Log.With("component", "report")
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("choosing a boot id: %w", err)
	}
	r.boot = hex.EncodeToString(b[:])
	backlog, live, cancel := r.Events.SubscribeRecent(0, reportBuffer)
	defer cancel()
	for _, e := range backlog {
		r.write(shared.KubeReport{Kind: shared.KubeReportEvent, Event: &e})
	}
	var lastStatus, lastPorts []byte
	var statusAt, portsAt time.Time
	tick := func(now time.Time) {
		if st, key := r.status(); !bytes.Equal(key, lastStatus) || now.Sub(statusAt) >= r.Heartbeat {
			r.write(shared.KubeReport{Kind: shared.KubeReportStatus, Status: &st})
			lastStatus, statusAt = key, now
		}
		ports, err := r.Ports()
		if err != nil {
			r.Log.Warn("listing listening ports", "err", err)
			return
		}
		key, _ := json.Marshal(ports)
		if !bytes.Equal(key, lastPorts) || now.Sub(portsAt) >= r.Heartbeat {
			r.write(shared.KubeReport{Kind: shared.KubeReportPorts, Ports: ports})
			lastPorts, portsAt = key, now
		}
	}
	tick(time.Now())
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// Stopping (SIGTERM): what was recorded goes out first, and
			// the last counters.
			for {
				select {
				case e, ok := <-live:
					if ok {
						r.write(shared.KubeReport{Kind: shared.KubeReportEvent, Event: &e})
						continue
					}
				default:
				}
				st, _ := r.status()
				r.write(shared.KubeReport{Kind: shared.KubeReportStatus, Status: &st})
				return nil
			}
		case now := <-t.C:
			tick(now)
		case e, ok := <-live:
			if !ok {
				return nil
			}
			r.write(shared.KubeReport{Kind: shared.KubeReportEvent, Event: &e})
		}
	}
}

// status is what a status report carries, and its encoding without the
// uptime (which changes at every look) to tell a change.
func (r *Reporter) status() (shared.Status, []byte) {
	st := r.Status()
	st.Events = r.Events.Counts()
	// The policy ConfigMap carries these; the domains would make the line
	// long.
	st.Mode, st.Domains, st.LastApply = "", nil, nil
	st.Problems = slices.Clone(st.Problems)
	st.UptimeSeconds = 0
	key, _ := json.Marshal(st)
	return st, key
}

// write numbers rep and writes it as one line in one call, so that no other
// output can land inside it.
func (r *Reporter) write(rep shared.KubeReport) {
	r.seq++
	rep.Warden, rep.Boot, rep.Seq = shared.KubeReportVersion, r.boot, r.seq
	line, err := rep.Line()
	if err != nil {
		// Never happens for the reports written here; the gap in seq
		// tells the reader one is missing.
		r.Log.Error("encoding report", "err", err)
		return
	}
	if _, err := r.Out.Write(line); err != nil {
		r.Log.Warn("writing report", "kind", rep.Kind, "err", err)
	}
}
