package shared

import "time"

// Status is what a sidecar reports about itself on GET /v1/status.
type Status struct {
	Version       string         `json:"version"`
	Ready         bool           `json:"ready"`
	Mode          Mode           `json:"mode"`
	Domains       []string       `json:"domains"`
	StartedAt     time.Time      `json:"startedAt"`
	UptimeSeconds float64        `json:"uptimeSeconds"`
	Sets          []SetStatus    `json:"sets"`
	DNS           DNSCounters    `json:"dns"`
	Egress        EgressCounters `json:"egress"`
	// Events counts the events the sidecar recorded, by kind.
	Events    EventCounters `json:"events"`
	LastApply *ApplyResult  `json:"lastApply,omitempty"`
	// Problems lists conditions that make the sidecar fail closed, such as a
	// full address set; empty when all is well.
	Problems []string `json:"problems,omitempty"`
}

// SetStatus describes one kernel address set.
type SetStatus struct {
	Name    string `json:"name"`
	Family  string `json:"family"` // "inet" or "inet6"
	Entries int    `json:"entries"`
	Max     int    `json:"max"`
	Full    bool   `json:"full"`
}

// DNSCounters count the filter's decisions since start.
type DNSCounters struct {
	Allowed        uint64 `json:"allowed"`
	Refused        uint64 `json:"refused"`
	Forwarded      uint64 `json:"forwarded"`
	Local          uint64 `json:"local"`
	UpstreamErrors uint64 `json:"upstreamErrors"`
	// FirstContactsDeferred counts first answers for allowed names not
	// reported at once because too many came in one second; each such
	// name is reported at its next answer.
	FirstContactsDeferred uint64 `json:"firstContactsDeferred,omitempty"`
}

// ApplyResult reports one policy apply.
type ApplyResult struct {
	Mode       Mode      `json:"mode"`
	Domains    []string  `json:"domains"`
	AppliedAt  time.Time `json:"appliedAt"`
	DurationMs float64   `json:"durationMs"`
	// Cut counts the open connections the change cut.
	Cut   int    `json:"cut,omitempty"`
	Error string `json:"error,omitempty"`
}

// EgressCounters are the name check's decisions on TCP connections to
// allowed addresses (restricted mode).
type EgressCounters struct {
	Checked uint64 `json:"checked"` // connections judged
	Refused uint64 `json:"refused"` // cut for their name, or for carrying none
	Open    uint64 `json:"open"`    // open through the check now
}

// EventCounters count a sidecar's recorded events by kind since it started.
type EventCounters struct {
	Recorded          uint64 `json:"recorded"`
	DNSRefused        uint64 `json:"dnsRefused"`
	ConnRejected      uint64 `json:"connRejected"`     // to an address no allowed name gave
	HostPortRejected  uint64 `json:"hostPortRejected"` // to a host port the project does not open
	NameRefused       uint64 `json:"nameRefused"`
	DNSFirstContacts  uint64 `json:"dnsFirstContacts"`  // allowed names answered for the first time
	ConnFirstContacts uint64 `json:"connFirstContacts"` // names the name check let through for the first time
	// SubscriberMisses counts events a slow follower missed.
	SubscriberMisses uint64 `json:"subscriberMisses"`
}
