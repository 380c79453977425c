package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// On the Kubernetes backend the sidecar has no control socket: it writes
// what the daemon would ask it for as report lines on its standard output,
// and the daemon follows the sidecar container's log through the API
// server. One line is one KubeReport encoded as JSON; the sidecar's own log
// goes to standard error, and the daemon skips every line that does not
// start with KubeReportPrefix.

// KubeReportVersion is the version of the report lines this code writes and
// reads.
const KubeReportVersion = 1

// KubeReportPrefix starts every report line. encoding/json writes struct
// fields in order, so a KubeReport always starts so; the sidecar's log
// lines start with {"time": and a Go panic indents every line after its
// first, so none of them does.
const KubeReportPrefix = `{"warden":`

// MaxKubeReportLine bounds one report line in bytes, newline excluded. The
// container runtime splits longer lines (16 KiB by default), and a split
// line would not parse; the sidecar shrinks a report to fit (Truncated).
const MaxKubeReportLine = 16000

// KubeReportHeartbeat is the longest time between two status reports, and
// between two ports reports, of a running sidecar: a reader starting anew
// finds both within that much of the log's end, and one that hears nothing
// for much longer knows its stream is stale.
const KubeReportHeartbeat = 30 * time.Second

// KubeReportKind says what a report line carries.
type KubeReportKind string

const (
	// KubeReportEvent carries one Event, in the order the sidecar recorded
	// them.
	KubeReportEvent KubeReportKind = "event"
	// KubeReportStatus carries the sidecar's counters: written when they
	// change (at most once per interval) and again after a quiet interval
	// (the heartbeat).
	KubeReportStatus KubeReportKind = "status"
	// KubeReportPorts carries the namespace's listening TCP ports: written
	// when they change and with the heartbeat.
	KubeReportPorts KubeReportKind = "ports"
)

// KubeReport is one report line.
type KubeReport struct {
	// Warden is KubeReportVersion; it is the first field so that the line
	// starts with KubeReportPrefix.
	Warden int            `json:"warden"`
	Kind   KubeReportKind `json:"kind"`
	// Boot names one run of the sidecar process (16 hex digits, random at
	// its start); Seq counts its report lines from 1 with no gap, so a
	// reader resuming after a break knows what it has already seen.
	Boot string `json:"boot"`
	Seq  uint64 `json:"seq"`
	// Truncated is set when lists were cut to keep the line within
	// MaxKubeReportLine.
	Truncated bool   `json:"truncated,omitempty"`
	Event     *Event `json:"event,omitempty"`
	// Status holds the counters, sets, readiness, version, start time and
	// problems; the mode, domains and last apply are left out (the policy
	// ConfigMap carries them).
	Status *Status `json:"status,omitempty"`
	// Ports is the full list of a ports report; absent means none.
	Ports []ListeningPort `json:"ports,omitempty"`
}

// Line encodes r as one report line, newline included, shrinking its lists
// until it fits MaxKubeReportLine.
func (r KubeReport) Line() ([]byte, error) {
	for {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding %s report: %w", r.Kind, err)
		}
		if len(b) <= MaxKubeReportLine {
			return append(b, '\n'), nil
		}
		if !r.shrink() {
			return nil, fmt.Errorf("%s report of %d bytes cannot be cut below %d", r.Kind, len(b), MaxKubeReportLine)
		}
		r.Truncated = true
	}
}

// shrink halves r's longest list; false when nothing is left to cut. It
// copies before cutting, so the caller's slices stay whole.
func (r *KubeReport) shrink() bool {
	switch {
	case r.Event != nil && len(r.Event.Addresses) > 0:
		e := *r.Event
		e.Addresses = e.Addresses[:len(e.Addresses)/2]
		r.Event = &e
		return true
	case r.Status != nil && len(r.Status.Problems) > 0:
		s := *r.Status
		s.Problems = s.Problems[:len(s.Problems)/2]
		r.Status = &s
		return true
	case len(r.Ports) > 0:
		longest, n := -1, 0
		for i, p := range r.Ports {
			if len(p.Addresses) > 1 && len(p.Addresses) > n {
				longest, n = i, len(p.Addresses)
			}
		}
		ports := append([]ListeningPort(nil), r.Ports...)
		if longest >= 0 && n > len(ports) {
			ports[longest].Addresses = ports[longest].Addresses[:n/2]
		} else {
			ports = ports[:len(ports)/2]
		}
		r.Ports = ports
		return true
	}
	return false
}

// ErrNotKubeReport is returned by ParseKubeReport for a line that is not a
// report at all (the sidecar's own log): readers skip it.
var ErrNotKubeReport = errors.New("not a report line")

// ParseKubeReport reads one report line (without its newline). A line that
// does not start with KubeReportPrefix is ErrNotKubeReport; one that does but
// is not a valid report gets an error naming what is wrong.
func ParseKubeReport(line []byte) (KubeReport, error) {
	if !bytes.HasPrefix(line, []byte(KubeReportPrefix)) {
		return KubeReport{}, ErrNotKubeReport
	}
	if len(line) > MaxKubeReportLine {
		return KubeReport{}, fmt.Errorf("report line of %d bytes; at most %d are written", len(line), MaxKubeReportLine)
	}
	var r KubeReport
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return KubeReport{}, fmt.Errorf("reading report line: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return KubeReport{}, errors.New("reading report line: text after the report")
	}
	return r, r.validate()
}

func (r KubeReport) validate() error {
	if r.Warden != KubeReportVersion {
		return fmt.Errorf("report version %d; expect %d", r.Warden, KubeReportVersion)
	}
	if !isBootID(r.Boot) {
		return fmt.Errorf("bad boot %q; expect 16 lower-case hex digits", r.Boot)
	}
	if r.Seq == 0 {
		return errors.New("report seq 0; it counts from 1")
	}
	payloads := 0
	for _, set := range []bool{r.Event != nil, r.Status != nil, r.Ports != nil} {
		if set {
			payloads++
		}
	}
	switch r.Kind {
	case KubeReportEvent:
		if r.Event == nil || payloads != 1 {
			return errors.New("an event report carries one event and nothing else")
		}
		return validReportEvent(*r.Event)
	case KubeReportStatus:
		if r.Status == nil || payloads != 1 {
			return errors.New("a status report carries one status and nothing else")
		}
	case KubeReportPorts:
		if payloads > 1 || r.Event != nil || r.Status != nil {
			return errors.New("a ports report carries ports and nothing else")
		}
		for _, p := range r.Ports {
			if p.Port < 1 || p.Port > 65535 {
				return fmt.Errorf("listening port %d; expect 1 to 65535", p.Port)
			}
		}
	default:
		return fmt.Errorf("unknown report kind %q; expect event, status or ports", r.Kind)
	}
	return nil
}

func validReportEvent(e Event) error {
	switch e.Kind {
	case EventDNSRefused, EventConnRejected, EventNameRefused, EventDNSAllowed, EventConnAllowed:
	default:
		return fmt.Errorf("unknown event kind %q; expect dns-refused, conn-rejected, name-refused, dns-allowed or conn-allowed", e.Kind)
	}
	if e.Time.IsZero() {
		return errors.New("event without a time")
	}
	if e.Port < 0 || e.Port > 65535 {
		return fmt.Errorf("event port %d; expect 0 to 65535", e.Port)
	}
	return nil
}

func isBootID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
