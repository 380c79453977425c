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
	// EventDNSAllowed is the first answer the sidecar gave for an allowed
	// name since it started: the audit log's first contact.
	EventDNSAllowed EventKind = "dns-allowed"
	// EventConnAllowed is the first connection the name check let through
	// for a name since the sidecar started.
	EventConnAllowed EventKind = "conn-allowed"
)

// Allowed reports whether k records a first contact with an allowed name
// rather than something blocked.
func (k EventKind) Allowed() bool { return k == EventDNSAllowed || k == EventConnAllowed }

// ReasonHostPort is the Reason of a conn-rejected event to the host: a port
// the project's host access does not open.
const ReasonHostPort = "host port"

// Event is one blocked attempt, or one first contact with an allowed name,
// as recorded by a sidecar.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    EventKind `json:"kind"`
	Name    string    `json:"name,omitempty"`    // the name refused (dns-refused, name-refused) or first reached (dns-allowed, conn-allowed)
	QType   string    `json:"qtype,omitempty"`   // the query type (dns-refused)
	Address string    `json:"address,omitempty"` // destination address (conn-rejected, name-refused, conn-allowed)
	// Addresses are those an allowed name resolved to (dns-allowed).
	Addresses []string `json:"addresses,omitempty"`
	Reason    string   `json:"reason,omitempty"` // why (name-refused: "not allowed", "no name", ...; conn-rejected to the host: "host port")
	Port      int      `json:"port,omitempty"`   // destination port, when the protocol has one
	Protocol  string   `json:"protocol"`         // udp, tcp, icmp, icmpv6 or a number
}

// Allowed reports whether e is a first contact rather than a refusal.
func (e Event) Allowed() bool { return e.Kind.Allowed() }
