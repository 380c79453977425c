package engine

import (
	"time"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/addrset"
	"github.com/warden-sh/warden/sidecar/dnsfilter"
	"github.com/warden-sh/warden/sidecar/egress"
	"github.com/warden-sh/warden/sidecar/firewall"
)

// Config is everything the sidecar's engine needs. The zero value is not
// useful; start from DefaultConfig.
type Config struct {
	Firewall firewall.Config  `json:"firewall"`
	Sets     addrset.Config   `json:"sets"`
	DNS      dnsfilter.Config `json:"dns"`
	// Egress is the name check on TCP connections to allowed addresses;
	// its queue and marks are also the firewall's (Firewall.EgressQueue and
	// EgressMarks are set from it).
	Egress egress.Config `json:"egress"`
	// Initial is enforced before the sidecar reports ready.
	Initial shared.Policy `json:"initial"`
	// EventCapacity bounds the recent-events log.
	EventCapacity int `json:"eventCapacity"`
	// PruneInterval is how often expired set holders are forgotten.
	PruneInterval time.Duration `json:"pruneInterval"`
	// ResolveTimeout bounds the background look-up of exact entries after an edit.
	ResolveTimeout time.Duration `json:"resolveTimeout"`
	// Version is reported in the status.
	Version string `json:"version"`
}

// DefaultConfig starts closed: mode none, no domains.
func DefaultConfig() Config {
	return Config{
		Firewall:       firewall.DefaultConfig(),
		Sets:           addrset.DefaultConfig(),
		DNS:            dnsfilter.DefaultConfig(),
		Egress:         egress.DefaultConfig(),
		Initial:        shared.Policy{Mode: shared.ModeNone, Domains: []string{}},
		EventCapacity:  1000,
		PruneInterval:  30 * time.Second,
		ResolveTimeout: 5 * time.Second,
		Version:        "dev",
	}
}
