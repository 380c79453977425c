package killswitch

import (
	"fmt"

	"github.com/ti-mo/conntrack"
)

// Table is the part of the conntrack table Cut uses; Kernel is the real
// one, unit tests use a fake.
type Table interface {
	Dump() ([]conntrack.Flow, error)
	Delete(conntrack.Flow) error
}

// Kernel is the conntrack table of the calling process's network
// namespace, reached through netlink (it needs CAP_NET_ADMIN).
type Kernel struct{}

// Dump lists every flow of both families.
func (Kernel) Dump() ([]conntrack.Flow, error) {
	c, err := conntrack.Dial(nil)
	if err != nil {
		return nil, fmt.Errorf("opening the conntrack table: %w", err)
	}
	defer c.Close()
	flows, err := c.Dump(nil)
	if err != nil {
		return nil, fmt.Errorf("listing conntrack entries: %w", err)
	}
	return flows, nil
}

// Delete removes one flow.
func (Kernel) Delete(f conntrack.Flow) error {
	c, err := conntrack.Dial(nil)
	if err != nil {
		return fmt.Errorf("opening the conntrack table: %w", err)
	}
	defer c.Close()
	return c.Delete(f)
}
