package shared

import "time"

// EventKind says what was blocked.
type EventKind string

const (
	// EventDNSRefused is a query for a name that is not allowed.
	EventDNSRefused EventKind = "dns-refused"
	// EventConnRejected is a packet the firewall rejected.
	EventConnRejected EventKind = "conn-rejected"
	// EventNameRefused is a connection to an allowed address that carried
	// a name (TLS SNI, HTTP Host) off the allowlist, or none; it was cut
	// before a byte reached the destination.
	EventNameRefused EventKind = "name-refused"
)

// Event is one blocked attempt, as recorded by a sidecar.
type Event struct {
	Time     time.Time `json:"time"`
	Kind     EventKind `json:"kind"`
	Name     string    `json:"name,omitempty"`    // the refused name (dns-refused, name-refused)
	QType    string    `json:"qtype,omitempty"`   // the query type (dns-refused)
	Address  string    `json:"address,omitempty"` // destination address (conn-rejected, name-refused)
	Reason   string    `json:"reason,omitempty"`  // why a name was refused (name-refused): "not allowed", "no name", "unparsable TLS", ...
	Port     int       `json:"port,omitempty"`    // destination port, when the protocol has one
	Protocol string    `json:"protocol"`          // udp, tcp, icmp, icmpv6 or a number
}
