package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warden-sh/warden/shared"
)

// fakeLogs plays the kubelet's part: the sidecar's containers one after
// the other, their logs with timestamps, and follow streams that end when
// the container stops or the test cuts them.
type fakeLogs struct {
	mu      sync.Mutex
	conts   []*fakeContainer // the last is the current one
	down    bool             // the current container is not running
	changed chan struct{}    // closed and replaced at every change
	cuts    int              // bumped to end every open follow stream
	opened  []corev1.PodLogOptions
}

type fakeContainer struct {
	id    string
	boot  string
	seq   uint64
	lines []string
	done  bool
}

func newFakeLogs() *fakeLogs {
	return &fakeLogs{changed: make(chan struct{})}
}

func (f *fakeLogs) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// start makes a new current container, the old one stopped.
func (f *fakeLogs) start(id, boot string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n := len(f.conts); n > 0 {
		f.conts[n-1].done = true
	}
	f.conts = append(f.conts, &fakeContainer{id: id, boot: boot})
	f.down = false
	f.changedLocked()
}

// stop stops the current container.
func (f *fakeLogs) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conts[len(f.conts)-1].done = true
	f.down = true
	f.changedLocked()
}

// pause ends the open follow streams and stops the current container from
// running, in one step; write may still add to its log (what it wrote
// before it died).
func (f *fakeLogs) pause() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cuts++
	f.down = true
	f.changedLocked()
}

// cut ends the open follow streams, as an API server may.
func (f *fakeLogs) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cuts++
	f.changedLocked()
}

// write appends a report of the current container, stamped now, and a
// line of the sidecar's own log.
func (f *fakeLogs) write(t *testing.T, rep shared.KubeReport) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.conts[len(f.conts)-1]
	c.seq++
	rep.Warden, rep.Boot, rep.Seq = shared.KubeReportVersion, c.boot, c.seq
	line, err := rep.Line()
	require.NoError(t, err)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	c.lines = append(c.lines, now+` {"time":"x","level":"INFO","msg":"the sidecar's own log"}`,
		now+" "+strings.TrimSuffix(string(line), "\n"))
	f.changedLocked()
}

func (f *fakeLogs) event(t *testing.T, name string) {
	t.Helper()
	f.write(t, shared.KubeReport{Kind: shared.KubeReportEvent,
		Event: &shared.Event{Time: time.Now(), Kind: shared.EventDNSRefused, Name: name, Protocol: "udp"}})
}

func (f *fakeLogs) sidecar(context.Context, string) (*corev1.ContainerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.conts) == 0 {
		return nil, nil
	}
	cur := f.conts[len(f.conts)-1]
	cs := &corev1.ContainerStatus{Name: containerSidecar, ContainerID: cur.id, RestartCount: int32(len(f.conts) - 1)}
	if f.down {
		cs.State.Terminated = &corev1.ContainerStateTerminated{ContainerID: cur.id}
	} else {
		cs.State.Running = &corev1.ContainerStateRunning{}
	}
	if n := len(f.conts); n > 1 {
		cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ContainerID: f.conts[n-2].id}
	}
	return cs, nil
}

func (f *fakeLogs) open(ctx context.Context, _ string, o *corev1.PodLogOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, *o)
	n := len(f.conts)
	if o.Previous {
		n--
	}
	if n < 1 || !o.Previous && f.down {
		return nil, apierrors.NewBadRequest("container is not running")
	}
	c := f.conts[n-1]
	pick := func(from int) (out []string) {
		for _, l := range c.lines[from:] {
			at, _ := time.Parse(time.RFC3339Nano, strings.SplitN(l, " ", 2)[0])
			if o.SinceTime != nil && at.Before(o.SinceTime.Time) {
				continue
			}
			out = append(out, l)
		}
		return out
	}
	first := pick(0)
	if o.TailLines != nil && len(first) > int(*o.TailLines) {
		first = first[len(first)-int(*o.TailLines):]
	}
	pr, pw := io.Pipe()
	sent, cuts := len(c.lines), f.cuts
	go func() {
		for _, l := range first {
			if _, err := io.WriteString(pw, l+"\n"); err != nil {
				return
			}
		}
		for o.Follow {
			f.mu.Lock()
			more := c.lines[sent:]
			sent = len(c.lines)
			end := c.done || f.cuts != cuts
			ch := f.changed
			f.mu.Unlock()
			for _, l := range more {
				if _, err := io.WriteString(pw, l+"\n"); err != nil {
					return
				}
			}
			if end {
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
		pw.Close()
	}()
	return pr, nil
}

// followRuntime is a runtime over a fake clientset holding the project's
// confirmed policy, reading logs from fl.
func followRuntime(t *testing.T, fl *fakeLogs, id string) *Runtime {
	t.Helper()
	policy := `{"mode":"restricted","domains":["allowed.test"]}`
	cs := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: objectName(id), Namespace: "ns",
			Labels:      map[string]string{LabelProject: id, LabelInstance: "default"},
			Annotations: map[string]string{shared.KubeAppliedAnnotation: shared.PolicyDigest(policy), shared.KubeResultAnnotation: `{"mode":"restricted","domains":["allowed.test"],"durationMs":3,"appliedAt":"2026-12-03T16:00:00Z"}`}},
		Data: map[string]string{shared.KubePolicyKey: policy},
	})
	r, err := NewWithClient(Config{Namespace: "ns", SidecarImage: "warden-sidecar:test", PodAPIServer: "https://192.0.2.2:6443",
		Upstreams: []string{"192.0.2.53:53"}, HostGateway: netip.MustParseAddr("192.0.2.2")}, cs, nil)
	require.NoError(t, err)
	r.logs = fl
	t.Cleanup(func() { r.Close() })
	return r
}

// collector gathers what Follow delivers.
type collector struct {
	mu  sync.Mutex
	got []string
}

func (c *collector) add(e shared.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e.Name)
}

func (c *collector) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

const testID = "0123456789ab"

// following runs FollowSince in the background until the test's end.
func following(t *testing.T, r *Runtime, since time.Time) *collector {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	done := make(chan error)
	go func() { done <- r.FollowSince(ctx, r.SocketPath(testID), since, c.add) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	return c
}

func TestFollowDeliversEventsAndKeepsReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := newFakeLogs()
		r := followRuntime(t, fl, testID)
		ctx := context.Background()
		sock := r.SocketPath(testID)
		_, err := r.Listening(ctx, sock)
		require.ErrorIs(t, err, ErrNoReport, "nothing followed yet")

		c := following(t, r, time.Time{})
		synctest.Wait()
		require.Empty(t, fl.opened, "no log is read before the sidecar runs")
		fl.start("containerd://a", "aaaaaaaaaaaaaaaa")
		fl.event(t, "one.example")
		fl.write(t, shared.KubeReport{Kind: shared.KubeReportStatus, Status: &shared.Status{Ready: true, Version: "v9",
			StartedAt: time.Now(), DNS: shared.DNSCounters{Refused: 1}}})
		fl.write(t, shared.KubeReport{Kind: shared.KubeReportPorts, Ports: []shared.ListeningPort{{Port: 8000, Addresses: []string{"0.0.0.0"}}}})
		fl.event(t, "two.example")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.Equal(t, []string{"one.example", "two.example"}, c.names())

		st, err := r.Status(ctx, sock)
		require.NoError(t, err)
		require.True(t, st.Ready)
		require.Equal(t, shared.ModeRestricted, st.Mode, "the mode comes from the ConfigMap")
		require.Equal(t, []string{"allowed.test"}, st.Domains)
		require.Equal(t, "v9", st.Version)
		require.Equal(t, uint64(1), st.DNS.Refused)
		require.InDelta(t, 2, st.UptimeSeconds, 0.5)
		require.NotNil(t, st.LastApply)
		ports, err := r.Listening(ctx, sock)
		require.NoError(t, err)
		require.Equal(t, 8000, ports[0].Port)

		// The latest report wins.
		fl.write(t, shared.KubeReport{Kind: shared.KubeReportPorts})
		synctest.Wait()
		ports, err = r.Listening(ctx, sock)
		require.NoError(t, err)
		require.Empty(t, ports)

		// Silent for longer than two heartbeats: stale.
		time.Sleep(staleAfter + time.Second)
		_, err = r.Status(ctx, sock)
		require.ErrorIs(t, err, ErrNoReport)
		fl.write(t, shared.KubeReport{Kind: shared.KubeReportStatus, Status: &shared.Status{Ready: true}})
		synctest.Wait()
		_, err = r.Status(ctx, sock)
		require.NoError(t, err)

		// Events reads the end of the log, not the cursor.
		evs, err := r.Events(ctx, sock, 1)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, "two.example", evs[0].Name)

		// A stopped sidecar reports nothing current.
		fl.stop()
		synctest.Wait()
		_, err = r.Status(ctx, sock)
		require.ErrorIs(t, err, ErrNoReport)
		_, err = r.Listening(ctx, sock)
		require.ErrorIs(t, err, ErrNoReport)
	})
}

func TestFollowResumesWithoutLossOrRepeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := newFakeLogs()
		r := followRuntime(t, fl, testID)
		fl.start("containerd://a", "aaaaaaaaaaaaaaaa")
		c := following(t, r, time.Time{})
		fl.event(t, "e1")
		synctest.Wait()

		// The API server ends the stream; what is written meanwhile in
		// the same second is read once.
		fl.cut()
		fl.event(t, "e2")
		time.Sleep(3 * time.Second)
		synctest.Wait()
		require.Equal(t, []string{"e1", "e2"}, c.names())
		last := fl.opened[len(fl.opened)-1]
		require.NotNil(t, last.SinceTime, "a resumed stream starts at the cursor")

		// The sidecar restarts while the stream is down: the rest of the
		// old container's log comes from previous=true, then the new one.
		fl.pause()
		fl.event(t, "e3 before the restart")
		fl.start("containerd://b", "bbbbbbbbbbbbbbbb")
		fl.event(t, "e4 after the restart")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		require.Equal(t, []string{"e1", "e2", "e3 before the restart", "e4 after the restart"}, c.names())
		var previous int
		for _, o := range fl.opened {
			if o.Previous {
				previous++
				require.NotNil(t, o.SinceTime)
			}
		}
		require.Equal(t, 1, previous)

		// Replaced twice while not read: the middle container's reports
		// are lost (the kubelet keeps one back), nothing is repeated.
		fl.pause()
		fl.start("containerd://c", "cccccccccccccccc")
		fl.event(t, "lost with c")
		fl.start("containerd://d", "dddddddddddddddd")
		fl.event(t, "e5")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		require.Equal(t, []string{"e1", "e2", "e3 before the restart", "e4 after the restart", "e5"}, c.names())
	})
}

func TestFollowSinceAfterADaemonRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := newFakeLogs()
		fl.start("containerd://a", "aaaaaaaaaaaaaaaa")
		fl.event(t, "old")
		time.Sleep(10 * time.Minute)
		fl.event(t, "stored")
		stored := time.Now()
		time.Sleep(10 * time.Minute)
		fl.event(t, "missed in a")
		fl.start("containerd://b", "bbbbbbbbbbbbbbbb")
		fl.write(t, shared.KubeReport{Kind: shared.KubeReportPorts, Ports: []shared.ListeningPort{{Port: 3000}}})
		time.Sleep(10 * time.Minute)
		fl.event(t, "missed in b")

		// A new runtime told what the store holds reads from there in both
		// containers; "stored" comes again (the daemon drops it by time),
		// "old" does not. The current container is read back two
		// heartbeats at least, and its ports are known.
		r := followRuntime(t, fl, testID)
		c := following(t, r, stored)
		synctest.Wait()
		require.Equal(t, []string{"stored", "missed in a", "missed in b"}, c.names())
		ports, err := r.Listening(context.Background(), r.SocketPath(testID))
		require.NoError(t, err)
		require.Equal(t, 3000, ports[0].Port)

		// A second follower of the same project is refused.
		err = r.Follow(context.Background(), r.SocketPath(testID), func(shared.Event) {})
		require.ErrorContains(t, err, "followed already")
	})
}

func TestFollowWithNothingHeldReadsTheTail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fl := newFakeLogs()
		fl.start("containerd://a", "aaaaaaaaaaaaaaaa")
		for i := range tailLines {
			fl.event(t, fmt.Sprint("e", i))
		}
		r := followRuntime(t, fl, testID)
		c := following(t, r, time.Time{})
		synctest.Wait()
		got := c.names()
		// Each event is two lines here (a log line and the report).
		require.Len(t, got, tailLines/2)
		require.Equal(t, fmt.Sprint("e", tailLines-1), got[len(got)-1])
	})
}

func TestLogLines(t *testing.T) {
	long := strings.Repeat("x", maxLogLine+10)
	in := "2026-12-03T16:00:00.5Z first\n" +
		"no timestamp here\n" +
		"2026-12-03T16:00:01Z " + long + "\n" +
		"2026-12-03T16:00:02.123456789Z second line\n" +
		"2026-12-03T16:00:03Z cut short"
	var got []logLine
	require.NoError(t, readLogLines(strings.NewReader(in), func(l logLine) error {
		got = append(got, logLine{At: l.At, Text: append([]byte(nil), l.Text...)})
		return nil
	}))
	require.Len(t, got, 2)
	require.Equal(t, "first", string(got[0].Text))
	require.Equal(t, time.Date(2026, 12, 3, 16, 0, 0, 5e8, time.UTC), got[0].At)
	require.Equal(t, "second line", string(got[1].Text))

	boom := errors.New("boom")
	require.ErrorIs(t, readLogLines(strings.NewReader(in), func(logLine) error { return boom }), boom)
	require.NoError(t, readLogLines(strings.NewReader(in), func(logLine) error { return errStop }))
}

func FuzzSplitLogLine(f *testing.F) {
	f.Add([]byte("2026-12-03T16:00:00.123456789Z {\"warden\":1}"))
	f.Add([]byte("2026-12-03T16:00:00Z "))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := splitLogLine(b)
		if err != nil {
			return
		}
		// The text is what follows the first space, untouched.
		if !strings.HasSuffix(string(b), string(l.Text)) || len(b) <= len(l.Text) {
			t.Fatalf("split %q into %v %q", b, l.At, l.Text)
		}
		if _, _, err := parseReport(l); err != nil && !strings.HasPrefix(string(l.Text), shared.KubeReportPrefix) {
			t.Fatalf("a line without the prefix is an error: %v", err)
		}
	})
}
