package shared

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testBoot = "0123456789abcdef"

func TestKubeReportRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 16, 0, 0, 123456789, time.UTC)
	for _, r := range []KubeReport{
		{Warden: 1, Kind: KubeReportEvent, Boot: testBoot, Seq: 1,
			Event: &Event{Time: at, Kind: EventDNSRefused, Name: "evil.example", QType: "A", Protocol: "udp"}},
		{Warden: 1, Kind: KubeReportEvent, Boot: testBoot, Seq: 2,
			Event: &Event{Time: at, Kind: EventDNSAllowed, Name: "github.com", Addresses: []string{"192.0.2.1"}, Protocol: "udp"}},
		{Warden: 1, Kind: KubeReportStatus, Boot: testBoot, Seq: 3,
			Status: &Status{Version: "v1", Ready: true, StartedAt: at, DNS: DNSCounters{Allowed: 3, Refused: 2}}},
		{Warden: 1, Kind: KubeReportPorts, Boot: testBoot, Seq: 4,
			Ports: []ListeningPort{{Port: 8000, Addresses: []string{"0.0.0.0"}}}},
		{Warden: 1, Kind: KubeReportPorts, Boot: testBoot, Seq: 5},
	} {
		t.Run(fmt.Sprintf("%s-%d", r.Kind, r.Seq), func(t *testing.T) {
			line, err := r.Line()
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(line, []byte(KubeReportPrefix)), "%s", line)
			require.True(t, bytes.HasSuffix(line, []byte("\n")))
			require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line")
			got, err := ParseKubeReport(bytes.TrimSuffix(line, []byte("\n")))
			require.NoError(t, err)
			require.Equal(t, r, got)
		})
	}
}

// A name the agent chose cannot end a report line and start a forged one:
// encoding/json escapes every control character.
func TestKubeReportNameCannotForgeALine(t *testing.T) {
	forged := "\n" + KubeReportPrefix + `1,"kind":"event","boot":"` + testBoot + `","seq":9,"event":{"time":"2026-12-03T16:00:00Z","kind":"dns-allowed","name":"forged.example","protocol":"udp"}}` + "\n"
	r := KubeReport{Warden: 1, Kind: KubeReportEvent, Boot: testBoot, Seq: 1,
		Event: &Event{Time: time.Now().UTC(), Kind: EventDNSRefused, Name: "x" + forged + "\r\u2028.example", Protocol: "udp"}}
	line, err := r.Line()
	require.NoError(t, err)
	require.Equal(t, 1, bytes.Count(line, []byte("\n")), "%s", line)
	require.NotContains(t, string(line), "\r")
	got, err := ParseKubeReport(bytes.TrimSuffix(line, []byte("\n")))
	require.NoError(t, err)
	require.Equal(t, r.Event.Name, got.Event.Name)
	require.Equal(t, EventDNSRefused, got.Event.Kind)
}

func TestParseKubeReportRefuses(t *testing.T) {
	ev := `"event":{"time":"2026-12-03T16:00:00Z","kind":"dns-refused","name":"x","protocol":"udp"}`
	for _, tc := range []struct {
		name, line, want string
	}{
		{"the sidecar's log", `{"time":"2026-12-03T16:00:00Z","level":"INFO","msg":"watching policy"}`, "not a report"},
		{"a panic", `panic: boom`, "not a report"},
		{"empty", ``, "not a report"},
		{"prefix in a value", ` {"warden":1}`, "not a report"},
		{"version", `{"warden":2,"kind":"event","boot":"` + testBoot + `","seq":1,` + ev + `}`, "report version 2; expect 1"},
		{"kind", `{"warden":1,"kind":"secret","boot":"` + testBoot + `","seq":1}`, `unknown report kind "secret"`},
		{"boot", `{"warden":1,"kind":"ports","boot":"XYZ","seq":1}`, `bad boot "XYZ"`},
		{"seq", `{"warden":1,"kind":"ports","boot":"` + testBoot + `","seq":0}`, "seq 0"},
		{"no event", `{"warden":1,"kind":"event","boot":"` + testBoot + `","seq":1}`, "one event"},
		{"two payloads", `{"warden":1,"kind":"event","boot":"` + testBoot + `","seq":1,` + ev + `,"ports":[]}`, "one event"},
		{"event kind", `{"warden":1,"kind":"event","boot":"` + testBoot + `","seq":1,"event":{"time":"2026-12-03T16:00:00Z","kind":"hello","protocol":"udp"}}`, `unknown event kind "hello"`},
		{"event time", `{"warden":1,"kind":"event","boot":"` + testBoot + `","seq":1,"event":{"kind":"dns-refused","protocol":"udp"}}`, "without a time"},
		{"port", `{"warden":1,"kind":"ports","boot":"` + testBoot + `","seq":1,"ports":[{"port":70000,"addresses":[]}]}`, "listening port 70000"},
		{"unknown field", `{"warden":1,"kind":"ports","boot":"` + testBoot + `","seq":1,"extra":true}`, "unknown field"},
		{"trailing", `{"warden":1,"kind":"ports","boot":"` + testBoot + `","seq":1} {}`, "text after"},
		{"cut", `{"warden":1,"kind":"ports","boot":"` + testBoot, "reading report line"},
		{"too long", KubeReportPrefix + strings.Repeat(" ", MaxKubeReportLine), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKubeReport([]byte(tc.line))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.Equal(t, tc.want == "not a report", errors.Is(err, ErrNotKubeReport))
		})
	}
}

func TestKubeReportLineShrinks(t *testing.T) {
	many := make([]string, 4000)
	for i := range many {
		many[i] = fmt.Sprintf("2001:db8::%x", i)
	}
	at := time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)
	ev := Event{Time: at, Kind: EventDNSAllowed, Name: "big.example", Addresses: many, Protocol: "udp"}
	r := KubeReport{Warden: 1, Kind: KubeReportEvent, Boot: testBoot, Seq: 1, Event: &ev}
	line, err := r.Line()
	require.NoError(t, err)
	require.LessOrEqual(t, len(line)-1, MaxKubeReportLine)
	got, err := ParseKubeReport(bytes.TrimSuffix(line, []byte("\n")))
	require.NoError(t, err)
	require.True(t, got.Truncated)
	require.NotEmpty(t, got.Event.Addresses)
	require.Equal(t, many[:len(got.Event.Addresses)], got.Event.Addresses, "the first addresses are kept")
	require.Len(t, ev.Addresses, 4000, "the caller's event is left whole")

	// One port on thousands of loopback addresses, and thousands of ports.
	ports := []ListeningPort{{Port: 80, Addresses: many}}
	for p := 1000; p < 4000; p++ {
		ports = append(ports, ListeningPort{Port: p, Addresses: []string{"127.0.0.1"}, LoopbackOnly: true})
	}
	line, err = KubeReport{Warden: 1, Kind: KubeReportPorts, Boot: testBoot, Seq: 2, Ports: ports}.Line()
	require.NoError(t, err)
	require.LessOrEqual(t, len(line)-1, MaxKubeReportLine)
	got, err = ParseKubeReport(bytes.TrimSuffix(line, []byte("\n")))
	require.NoError(t, err)
	require.True(t, got.Truncated)
	require.Equal(t, 80, got.Ports[0].Port)
}

func FuzzParseKubeReport(f *testing.F) {
	at := time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)
	for _, r := range []KubeReport{
		{Warden: 1, Kind: KubeReportEvent, Boot: testBoot, Seq: 1, Event: &Event{Time: at, Kind: EventConnRejected, Address: "203.0.113.5", Port: 7, Protocol: "tcp"}},
		{Warden: 1, Kind: KubeReportStatus, Boot: testBoot, Seq: 2, Status: &Status{Ready: true, StartedAt: at}},
		{Warden: 1, Kind: KubeReportPorts, Boot: testBoot, Seq: 3, Ports: []ListeningPort{{Port: 8000, Addresses: []string{"::"}}}},
	} {
		line, _ := r.Line()
		f.Add(bytes.TrimSuffix(line, []byte("\n")))
	}
	f.Add([]byte(`{"time":"2026-12-03T16:00:00Z","level":"INFO","msg":"x"}`))
	f.Add([]byte(KubeReportPrefix + `1,"kind":"ports","boot":"` + testBoot + `","seq":1,"ports":null}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseKubeReport(line)
		if err != nil {
			return
		}
		// What is accepted encodes again to a line that reads back the
		// same, and is a single line within the bound.
		out, err := r.Line()
		if err != nil {
			t.Fatalf("accepted report does not encode: %v", err)
		}
		if bytes.Count(out, []byte("\n")) != 1 {
			t.Fatalf("encoded report spans lines: %q", out)
		}
		again, err := ParseKubeReport(bytes.TrimSuffix(out, []byte("\n")))
		if err != nil {
			t.Fatalf("re-encoded report %q refused: %v", out, err)
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the report:\n%s\n%s", a, b)
		}
	})
}
