package shared

import "time"

// EventKind says what was blocked.
type EventKind string

const (
	// EventDNSRefused is a query for a name that is not allowed.
	EventDNSRefused EventKind = "dns-refused"
	// EventConnRejected is a packet the firewall rejected.
	EventConnRejected EventKind = "conn-rejected"
)

// Event is one blocked attempt, as recorded by a sidecar.
type Event struct {
	Time     time.Time `json:"time"`
	Kind     EventKind `json:"kind"`
	Name     string    `json:"name,omitempty"`    // the refused name (dns-refused)
	QType    string    `json:"qtype,omitempty"`   // the query type (dns-refused)
	Address  string    `json:"address,omitempty"` // destination address (conn-rejected)
	Port     int       `json:"port,omitempty"`    // destination port, when the protocol has one
	Protocol string    `json:"protocol"`          // udp, tcp, icmp, icmpv6 or a number
}
