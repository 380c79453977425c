package kube

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/warden-sh/warden/shared"
)

// staleAfter is how long a followed sidecar may stay silent before its last
// report stops counting: two heartbeats and some slack.
const staleAfter = 2*shared.KubeReportHeartbeat + 5*time.Second

// ErrNoReport is returned by Status and Listening when the runtime holds no
// current report from the project's sidecar: its log is not followed (the
// project is not meant to run), the sidecar is not running, or it has
// been silent for longer than two heartbeats.
var ErrNoReport = errors.New("no current report from the sidecar")

// feed is what the runtime knows of one project's sidecar from its log:
// where it stopped reading, and the latest status and ports reported.
type feed struct {
	mu        sync.Mutex
	following bool

	// The cursor: the container whose log is being read, the sidecar run
	// (boot) and report number last consumed, and the runtime's timestamp
	// of that line.
	container string
	boot      string
	seq       uint64
	at        time.Time

	// live is set while a follow stream of the current container is open.
	live     bool
	heard    time.Time // local time of the last report
	status   *shared.Status
	ports    []shared.ListeningPort
	hasPorts bool
	// lost counts reports known to be missed: gaps in seq.
	lost uint64
}

// feedOf returns the project's feed, made on first use.
func (r *Runtime) feedOf(id string) *feed {
	r.feedsMu.Lock()
	defer r.feedsMu.Unlock()
	f, ok := r.feeds[id]
	if !ok {
		f = &feed{}
		r.feeds[id] = f
	}
	return f
}

// forgetFeed drops what was read of a removed project's sidecar, unless
// its log is still followed.
func (r *Runtime) forgetFeed(id string) {
	r.feedsMu.Lock()
	defer r.feedsMu.Unlock()
	if f, ok := r.feeds[id]; ok {
		f.mu.Lock()
		following := f.following
		f.mu.Unlock()
		if !following {
			delete(r.feeds, id)
		}
	}
}

// claim marks the feed followed; false when it is already.
func (f *feed) claim() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.following {
		return false
	}
	f.following = true
	return true
}

func (f *feed) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.following, f.live = false, false
}

func (f *feed) setLive(live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = live
}

// cursor is where reading stopped.
type cursor struct {
	container, boot string
	seq             uint64
	at              time.Time
}

func (f *feed) cursor() cursor {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cursor{container: f.container, boot: f.boot, seq: f.seq, at: f.at}
}

// enter moves the cursor to the start of another container's log: any run
// of the sidecar is accepted next, and what the previous one reported no
// longer holds.
func (f *feed) enter(container string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.container, f.boot, f.seq = container, "", 0
	f.status, f.ports, f.hasPorts = nil, nil, false
}

// take consumes one report read at at (the runtime's timestamp). It returns
// the event to deliver, if the report is a new event, and whether the
// report came from another run of the sidecar than the cursor's (the caller
// decides what that means; nothing is consumed then).
func (f *feed) take(at time.Time, rep shared.KubeReport, now time.Time) (ev *shared.Event, otherBoot bool, gap uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.boot != "" && rep.Boot != f.boot {
		return nil, true, 0
	}
	if f.boot == "" {
		f.boot = rep.Boot
	}
	if f.seq > 0 && rep.Seq <= f.seq {
		return nil, false, 0 // read again after a resume
	}
	if f.seq > 0 && rep.Seq > f.seq+1 {
		gap = rep.Seq - f.seq - 1
		f.lost += gap
	}
	f.seq, f.at, f.heard = rep.Seq, at, now
	switch rep.Kind {
	case shared.KubeReportEvent:
		return rep.Event, false, gap
	case shared.KubeReportStatus:
		f.status = rep.Status
	case shared.KubeReportPorts:
		f.ports, f.hasPorts = rep.Ports, true
	}
	return nil, false, gap
}

// current reports whether the feed's reports describe the running sidecar
// now: a stream is open on its container and it spoke within staleAfter.
func (f *feed) currentLocked(now time.Time) error {
	switch {
	case !f.following:
		return errors.New("its log is not followed (the project is not meant to run)")
	case !f.live:
		return errors.New("the sidecar container is not running")
	case now.Sub(f.heard) > staleAfter:
		return fmt.Errorf("nothing heard from it for %s", now.Sub(f.heard).Round(time.Second))
	}
	return nil
}

// report returns the latest status the sidecar reported, uptime computed
// at now.
func (f *feed) report(now time.Time) (shared.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.currentLocked(now); err != nil {
		return shared.Status{}, err
	}
	if f.status == nil {
		return shared.Status{}, errors.New("no status reported yet")
	}
	st := *f.status
	st.Sets = slices.Clone(st.Sets)
	st.Problems = slices.Clone(st.Problems)
	if !st.StartedAt.IsZero() {
		st.UptimeSeconds = now.Sub(st.StartedAt).Seconds()
	}
	return st, nil
}

// listening returns the latest listening ports the sidecar reported.
func (f *feed) listening(now time.Time) ([]shared.ListeningPort, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.currentLocked(now); err != nil {
		return nil, err
	}
	if !f.hasPorts {
		return nil, errors.New("no listening ports reported yet")
	}
	out := make([]shared.ListeningPort, len(f.ports))
	for i, p := range f.ports {
		p.Addresses = slices.Clone(p.Addresses)
		out[i] = p
	}
	return out, nil
}
