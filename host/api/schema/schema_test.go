package schema

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/shared"
)

func TestAuditRecordSchema(t *testing.T) {
	s, err := AuditRecord()
	require.NoError(t, err)
	at := time.Date(2026, 12, 3, 12, 0, 5, 123, time.UTC)
	rec := func(e shared.Event) daemon.AuditRecord {
		e.Time = at
		return daemon.AuditRecord{Seq: 7, Project: "a1b2c3d4e5f6", Event: e}
	}
	valid := map[string]daemon.AuditRecord{
		"dns-refused":   rec(shared.Event{Kind: shared.EventDNSRefused, Name: "blocked.example", QType: "A", Protocol: "udp"}),
		"conn-rejected": rec(shared.Event{Kind: shared.EventConnRejected, Address: "203.0.113.5", Port: 7, Protocol: "tcp"}),
		"icmp":          rec(shared.Event{Kind: shared.EventConnRejected, Address: "2001:db8::5", Protocol: "icmpv6"}),
		"host port":     rec(shared.Event{Kind: shared.EventConnRejected, Address: "172.17.0.1", Port: 3128, Protocol: "tcp", Reason: shared.ReasonHostPort}),
		"name-refused":  rec(shared.Event{Kind: shared.EventNameRefused, Name: "other.example", Address: "203.0.113.7", Port: 443, Protocol: "tcp", Reason: "not allowed"}),
		"no name":       rec(shared.Event{Kind: shared.EventNameRefused, Address: "203.0.113.7", Port: 443, Protocol: "tcp", Reason: "no name"}),
		"dns-allowed":   rec(shared.Event{Kind: shared.EventDNSAllowed, Name: "api.github.com", QType: "A", Protocol: "udp", Addresses: []string{"192.0.2.2", "2001:db8::2"}}),
		"no address":    rec(shared.Event{Kind: shared.EventDNSAllowed, Name: "github.com", QType: "TXT", Protocol: "tcp"}),
		"conn-allowed":  rec(shared.Event{Kind: shared.EventConnAllowed, Name: "api.github.com", Address: "192.0.2.2", Port: 443, Protocol: "tcp"}),
	}
	for name, r := range valid {
		t.Run("valid "+name, func(t *testing.T) {
			require.NoError(t, ValidateValue(s, r))
		})
	}

	good, err := json.Marshal(valid["dns-allowed"])
	require.NoError(t, err)
	invalid := map[string]func(m map[string]any){
		"unknown kind":        func(m map[string]any) { m["kind"] = "dns-maybe" },
		"seq zero":            func(m map[string]any) { m["seq"] = 0 },
		"bad project":         func(m map[string]any) { m["project"] = "web" },
		"bad time":            func(m map[string]any) { m["time"] = "yesterday" },
		"bad address":         func(m map[string]any) { m["addresses"] = []string{"192.0.2.300"} },
		"no name":             func(m map[string]any) { delete(m, "name") },
		"no protocol":         func(m map[string]any) { delete(m, "protocol") },
		"field not in schema": func(m map[string]any) { m["token"] = "x" },
		"port out of range":   func(m map[string]any) { m["port"] = 70000 },
		"address on a DNS record": func(m map[string]any) {
			m["address"] = "192.0.2.2"
		},
		"refusal with addresses": func(m map[string]any) { m["kind"] = "dns-refused" },
	}
	for name, spoil := range invalid {
		t.Run("invalid "+name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(good, &m))
			spoil(m)
			require.Error(t, ValidateValue(s, m))
		})
	}
}
