package nflog

import (
	"time"

	"github.com/mdlayher/netlink"
)

// conn is the part of a netlink socket the reader uses; *netlink.Conn
// satisfies it, and tests use an in-memory fake.
type conn interface {
	Execute(m netlink.Message) ([]netlink.Message, error)
	Receive() ([]netlink.Message, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

var _ conn = (*netlink.Conn)(nil)
