package addrset

import (
	"errors"
	"net/netip"
)

// family is an ipset family name, as SetStatus reports it.
type family string

const (
	inet  family = "inet"
	inet6 family = "inet6"
)

// kernel is the part of ipset the sets need. Every call is one netlink
// message on a socket opened once; nothing is exec'd.
type kernel interface {
	// create makes an empty hash:ip set with timeout support, or keeps the
	// set of that name if it already is one (any contents).
	create(name string, fam family, maxElem uint32) error
	flush(name string) error
	// add puts addr in the set, or replaces its timeout if it is there.
	// timeoutSec is never 0, which ipset takes as "never expires".
	add(name string, addr netip.Addr, timeoutSec uint32) error
	// del removes addr; an absent address is not an error.
	del(name string, addr netip.Addr) error
	// count is the number of entries the kernel holds, expired or not.
	count(name string) (int, error)
	close() error
}

var (
	// ErrSetFull means the kernel set holds MaxElem addresses; the new
	// address was not added. It clears as entries expire or names are
	// removed.
	ErrSetFull = errors.New("address set is full")
	// ErrNameCap means one allowlist entry already holds PerNameCap
	// addresses; none of the new ones was added.
	ErrNameCap = errors.New("too many addresses for one name")
)
