package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestEventLine(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 5, 0, time.Local)
	tests := []struct {
		name string
		ev   shared.Event
		want string
	}{
		{"refused query", shared.Event{Kind: shared.EventDNSRefused, Name: "blocked.example", QType: "A", Protocol: "udp"},
			"12:00:05  refused   blocked.example A (udp)"},
		{"rejected packet", shared.Event{Kind: shared.EventConnRejected, Address: "203.0.113.5", Port: 7, Protocol: "tcp"},
			"12:00:05  rejected  203.0.113.5 port 7 (tcp)"},
		{"connection named off the list", shared.Event{Kind: shared.EventNameRefused, Name: "shared-b.example.org", Reason: "not allowed",
			Address: "203.0.113.7", Port: 443, Protocol: "tcp"},
			"12:00:05  named     shared-b.example.org, not allowed (203.0.113.7:443)"},
		{"no reason given", shared.Event{Kind: shared.EventNameRefused, Name: "shared-b.example.org", Address: "2001:db8::7", Port: 80, Protocol: "tcp"},
			"12:00:05  named     shared-b.example.org, not allowed ([2001:db8::7]:80)"},
		{"no name", shared.Event{Kind: shared.EventNameRefused, Reason: "no name", Address: "203.0.113.7", Port: 443, Protocol: "tcp"},
			"12:00:05  unnamed   no name (203.0.113.7:443)"},
		{"unparsable", shared.Event{Kind: shared.EventNameRefused, Reason: "unparsable TLS", Address: "203.0.113.7", Port: 443, Protocol: "tcp"},
			"12:00:05  unnamed   unparsable TLS (203.0.113.7:443)"},
		{"refused host port", shared.Event{Kind: shared.EventConnRejected, Address: "172.17.0.1", Port: 3128, Protocol: "tcp", Reason: shared.ReasonHostPort},
			"12:00:05  rejected  172.17.0.1 port 3128 (tcp, host port)"},
		{"first contact", shared.Event{Kind: shared.EventDNSAllowed, Name: "api.github.com", QType: "A", Addresses: []string{"192.0.2.2", "192.0.2.3"}, Protocol: "udp"},
			"12:00:05  reached   api.github.com A -> 192.0.2.2, 192.0.2.3 (udp)"},
		{"first connection", shared.Event{Kind: shared.EventConnAllowed, Name: "api.github.com", Address: "192.0.2.2", Port: 443, Protocol: "tcp"},
			"12:00:05  connected api.github.com (192.0.2.2:443)"},
		{"a name that would drive the terminal", shared.Event{Kind: shared.EventNameRefused, Name: "evil\x1b[2Jname", Reason: "not allowed",
			Address: "203.0.113.7", Port: 80, Protocol: "tcp"},
			`12:00:05  named     "evil\x1b[2Jname", not allowed (203.0.113.7:80)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ev.Time = at
			got := eventLine(tt.ev)
			require.Equal(t, tt.want, got)
			require.False(t, strings.ContainsRune(got, 0x1b), "no escape byte reaches the terminal")
		})
	}
}
