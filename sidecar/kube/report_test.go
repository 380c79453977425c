package kube

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/events"
)

// lines is a concurrency-safe standard output that keeps what was written.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

// reports parses everything written so far; every line must be a report.
func (l *lines) reports(t *testing.T) []shared.KubeReport {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []shared.KubeReport
	for _, line := range strings.Split(strings.TrimSuffix(l.buf.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		r, err := shared.ParseKubeReport([]byte(line))
		require.NoError(t, err, "line %q", line)
		out = append(out, r)
	}
	return out
}

func kinds(rs []shared.KubeReport) []shared.KubeReportKind {
	out := make([]shared.KubeReportKind, len(rs))
	for i, r := range rs {
		out[i] = r.Kind
	}
	return out
}

func TestReporterWritesEventsChangesAndHeartbeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		log := events.New(100)
		log.Record(shared.Event{Kind: shared.EventDNSRefused, Name: "before.example", Protocol: "udp"})
		var mu sync.Mutex
		allowed := uint64(0)
		ports := []shared.ListeningPort{}
		out := &lines{}
		r := &Reporter{
			Out: out, Events: log, Interval: time.Second, Heartbeat: 30 * time.Second,
			Status: func() shared.Status {
				mu.Lock()
				defer mu.Unlock()
				return shared.Status{Ready: true, Mode: shared.ModeRestricted, Domains: []string{"a.example"},
					UptimeSeconds: float64(time.Now().Unix()), DNS: shared.DNSCounters{Allowed: allowed}}
			},
			Ports: func() ([]shared.ListeningPort, error) {
				mu.Lock()
				defer mu.Unlock()
				return ports, nil
			},
		}
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()
		synctest.Wait()
		got := out.reports(t)
		require.Equal(t, []shared.KubeReportKind{shared.KubeReportEvent, shared.KubeReportStatus, shared.KubeReportPorts}, kinds(got),
			"the events held at start come first, then the status and the ports")
		require.Equal(t, "before.example", got[0].Event.Name)
		require.Empty(t, got[1].Status.Domains, "the domains stay in the ConfigMap")
		require.Empty(t, got[1].Status.Mode)
		require.Zero(t, got[1].Status.UptimeSeconds)
		require.Equal(t, uint64(1), got[1].Status.Events.DNSRefused, "the event counts come with the status")

		// A new event is written at once; nothing changed, so no status.
		log.Record(shared.Event{Kind: shared.EventConnRejected, Address: "203.0.113.5", Port: 7, Protocol: "tcp"})
		synctest.Wait()
		time.Sleep(time.Second)
		synctest.Wait()
		got = out.reports(t)
		require.Len(t, got, 5)
		require.Equal(t, shared.KubeReportEvent, got[3].Kind)
		require.Equal(t, shared.KubeReportStatus, got[4].Kind, "the event counts changed")

		// Counters that change many times within an interval make one report.
		mu.Lock()
		allowed = 5
		mu.Unlock()
		time.Sleep(500 * time.Millisecond)
		mu.Lock()
		allowed = 9
		mu.Unlock()
		synctest.Wait()
		require.Len(t, out.reports(t), 5, "not before the interval")
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		got = out.reports(t)
		require.Len(t, got, 6)
		require.Equal(t, uint64(9), got[5].Status.DNS.Allowed)

		// A new listener shows at the next look.
		mu.Lock()
		ports = []shared.ListeningPort{{Port: 8000, Addresses: []string{"0.0.0.0"}}}
		mu.Unlock()
		time.Sleep(time.Second)
		synctest.Wait()
		got = out.reports(t)
		require.Len(t, got, 7)
		require.Equal(t, 8000, got[6].Ports[0].Port)

		// Quiet: the heartbeat repeats both, once per Heartbeat.
		time.Sleep(28 * time.Second)
		synctest.Wait()
		require.Len(t, out.reports(t), 7)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		got = out.reports(t)
		require.Equal(t, []shared.KubeReportKind{shared.KubeReportStatus, shared.KubeReportPorts}, kinds(got[7:]))

		// One boot, numbered from 1 without a gap.
		for i, rep := range got {
			require.Equal(t, got[0].Boot, rep.Boot)
			require.Equal(t, uint64(i+1), rep.Seq)
		}
		cancel()
		require.NoError(t, <-done)
	})
}

func TestReporterBootsDiffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boots := map[string]bool{}
		for range 2 {
			ctx, cancel := context.WithCancel(context.Background())
			out := &lines{}
			r := &Reporter{Out: out, Events: events.New(1), Status: func() shared.Status { return shared.Status{} },
				Ports: func() ([]shared.ListeningPort, error) { return nil, nil }}
			done := make(chan error)
			go func() { done <- r.Run(ctx) }()
			synctest.Wait()
			cancel()
			require.NoError(t, <-done)
			got := out.reports(t)
			require.NotEmpty(t, got)
			require.Equal(t, uint64(1), got[0].Seq)
			boots[got[0].Boot] = true
		}
		require.Len(t, boots, 2, "each run of the sidecar names itself anew")
	})
}
