package kube

import (
	"context"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// sidecarLogs is what following uses of the API server; the real one is
// apiLogs, tests put a fake in its place.
type sidecarLogs interface {
	// sidecar is the status of the project's sidecar container; nil when
	// the pod or the container is not there yet.
	sidecar(ctx context.Context, id string) (*corev1.ContainerStatus, error)
	// open reads the sidecar container's log (container and timestamps
	// are set by the caller).
	open(ctx context.Context, id string, o *corev1.PodLogOptions) (io.ReadCloser, error)
}

type apiLogs struct{ r *Runtime }

func (a apiLogs) sidecar(ctx context.Context, id string) (*corev1.ContainerStatus, error) {
	pod, err := a.r.cs.CoreV1().Pods(a.r.cfg.Namespace).Get(ctx, objectName(id), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading pod %s: %w", objectName(id), err)
	}
	for i := range pod.Status.InitContainerStatuses {
		if cs := &pod.Status.InitContainerStatuses[i]; cs.Name == containerSidecar {
			return cs, nil
		}
	}
	return nil, nil
}

func (a apiLogs) open(ctx context.Context, id string, o *corev1.PodLogOptions) (io.ReadCloser, error) {
	return a.r.cs.CoreV1().Pods(a.r.cfg.Namespace).GetLogs(objectName(id), o).Stream(ctx)
}

// Pauses while following.
const (
	// sidecarPollMin and sidecarPollMax bound the pause between two looks
	// at a sidecar that does not run (yet).
	sidecarPollMin = 100 * time.Millisecond
	sidecarPollMax = 2 * time.Second
	// shortStream is a stream that ended this soon after it opened having
	// brought nothing; the next one waits a little first.
	shortStream = time.Second
)

// tailLines bounds the lines read from the end of a log when there is no
// time to start from (a first read with nothing held, and Events): reports
// and the sidecar's own log lines alike. The Docker sidecar keeps its last
// 1000 events for the same purpose.
const tailLines = 4000

// logOptions are the options of every read: the sidecar container, each
// line with the runtime's timestamp, from since (the API takes whole
// seconds, so a read starts at since's second and the cursor drops what it
// has seen), or the last tailLines lines when tail is set and since zero.
func logOptions(since time.Time, tail bool) *corev1.PodLogOptions {
	o := &corev1.PodLogOptions{Container: containerSidecar, Timestamps: true}
	switch {
	case !since.IsZero():
		t := metav1.NewTime(since.Truncate(time.Second))
		o.SinceTime = &t
	case tail:
		n := int64(tailLines)
		o.TailLines = &n
	}
	return o
}

// follow reads the project's sidecar log until ctx ends, calling fn with
// every event in order and keeping the latest status and ports in the
// feed. since is the time of the newest event the caller holds already
// (zero: none); a runtime that has not read this log before starts there.
func (r *Runtime) follow(ctx context.Context, id string, since time.Time, fn func(shared.Event)) error {
	f := r.feedOf(id)
	if !f.claim() {
		return fmt.Errorf("the sidecar log of project %s is followed already", id)
	}
	defer f.release()
	pause := sidecarPollMin
	for {
		cs, err := r.waitSidecar(ctx, id)
		if err != nil {
			return err
		}
		cur := f.cursor()
		var from time.Time
		tail := false
		switch {
		case cur.container == cs.ContainerID:
			from = cur.at
		case cur.container != "":
			// The container read last is gone: first what it wrote after
			// the cursor, then the new one from its start.
			r.readPrevious(ctx, id, cs, cur, f, fn)
			f.enter(cs.ContainerID)
		default:
			// First read by this runtime (the daemon started): what the
			// caller may lack, from the container before too, and at least
			// two heartbeats of the current one, so its latest status and
			// ports are among what is read. A caller that holds nothing
			// gets the last tailLines lines of each.
			if cs.RestartCount > 0 {
				r.readPrevious(ctx, id, cs, cursor{at: since}, f, fn)
			}
			f.enter(cs.ContainerID)
			from = since
			if floor := r.now().Add(-2 * shared.KubeReportHeartbeat); !since.IsZero() && floor.Before(from) {
				from = floor
			}
			tail = since.IsZero()
		}
		began := r.now()
		got, err := r.stream(ctx, id, logOptions(from, tail), f, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if got == 0 && r.now().Sub(began) < shortStream {
			if err := r.sleep(ctx, pause); err != nil {
				return err
			}
			pause = min(2*pause, sidecarPollMax)
		} else {
			pause = sidecarPollMin
		}
	}
}

// waitSidecar returns the sidecar container's status once it runs.
func (r *Runtime) waitSidecar(ctx context.Context, id string) (*corev1.ContainerStatus, error) {
	pause := sidecarPollMin
	for {
		cs, err := r.logs.sidecar(ctx, id)
		if err != nil {
			return nil, err
		}
		if cs != nil && cs.State.Running != nil && cs.ContainerID != "" {
			return cs, nil
		}
		if err := r.sleep(ctx, pause); err != nil {
			return nil, err
		}
		pause = min(2*pause, sidecarPollMax)
	}
}

// readPrevious reads the log of the container before cs from cur.at,
// when that container is the one cur names (or cur names none: the
// runtime's first read). The kubelet keeps one container back: if the
// sidecar was replaced twice since the cursor, the middle one's reports
// are lost, and the log says so.
func (r *Runtime) readPrevious(ctx context.Context, id string, cs *corev1.ContainerStatus, cur cursor, f *feed, fn func(shared.Event)) {
	prev := cs.LastTerminationState.Terminated
	if prev == nil || cur.container != "" && prev.ContainerID != cur.container {
		if cur.container != "" {
			r.log.Warn("sidecar replaced more than once since its log was read; reports after the cursor are lost",
				"project", id, "container", cur.container, "after", cur.at)
		}
		return
	}
	if cur.container == "" {
		f.enter(prev.ContainerID)
	}
	o := logOptions(cur.at, cur.container == "")
	o.Previous = true
	rc, err := r.logs.open(ctx, id, o)
	if err != nil {
		r.log.Warn("reading the previous sidecar's log; its reports after the cursor are lost", "project", id, "after", cur.at, "err", err)
		return
	}
	defer rc.Close()
	if _, err := r.consume(id, rc, f, fn, false); err != nil {
		r.log.Warn("reading the previous sidecar's log", "project", id, "err", err)
	}
}

// stream follows the current container's log from where o says until the stream
// ends (the container stopped, or the API server closed it) and returns how
// many reports it consumed. A container that is not running, or gone, is
// not an error: the caller looks at the pod again.
func (r *Runtime) stream(ctx context.Context, id string, o *corev1.PodLogOptions, f *feed, fn func(shared.Event)) (int, error) {
	o.Follow = true
	rc, err := r.logs.open(ctx, id, o)
	if err != nil {
		if apierrors.IsBadRequest(err) || apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("following the sidecar log of project %s: %w", id, err)
	}
	defer rc.Close()
	f.setLive(true)
	defer f.setLive(false)
	n, err := r.consume(id, rc, f, fn, true)
	if err != nil && ctx.Err() == nil {
		r.log.Info("sidecar log stream broke; reading on", "project", id, "err", err)
	}
	return n, nil
}

// consume applies the reports of rc to f and hands events to fn. When stop
// is set, a report of another sidecar run than the cursor's ends the read:
// the stream serves a newer container than the one looked at, and the
// caller must read the one before first.
func (r *Runtime) consume(id string, rc io.Reader, f *feed, fn func(shared.Event), stop bool) (int, error) {
	n, bad := 0, 0
	err := readLogLines(rc, func(l logLine) error {
		rep, ok, perr := parseReport(l)
		if perr != nil {
			if bad++; bad == 1 || bad%1000 == 0 {
				r.log.Warn("skipping a bad report line in the sidecar log", "project", id, "bad", bad, "err", perr)
			}
			return nil
		}
		if !ok {
			return nil
		}
		ev, other, gap := f.take(l.At, rep, r.now())
		if other {
			if stop {
				return errStop
			}
			return nil
		}
		if gap > 0 {
			r.log.Warn("reports missing from the sidecar log", "project", id, "missing", gap, "boot", rep.Boot, "seq", rep.Seq)
		}
		n++
		if ev != nil {
			fn(*ev)
		}
		return nil
	})
	return n, err
}

// recentEvents reads the end of the current sidecar's log and returns up to
// limit of its newest events (all it finds when limit <= 0), oldest first.
// It leaves the cursor alone.
func (r *Runtime) recentEvents(ctx context.Context, id string, limit int) ([]shared.Event, error) {
	rc, err := r.logs.open(ctx, id, logOptions(time.Time{}, true))
	if err != nil {
		return nil, fmt.Errorf("reading the sidecar log of project %s: %w", id, err)
	}
	defer rc.Close()
	var out []shared.Event
	err = readLogLines(rc, func(l logLine) error {
		if rep, ok, _ := parseReport(l); ok && rep.Kind == shared.KubeReportEvent {
			out = append(out, *rep.Event)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the sidecar log of project %s: %w", id, err)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}
