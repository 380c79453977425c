// Package sockmark marks the sidecar's own sockets, so the firewall tells
// them apart from the agent's: marked packets are neither redirected nor
// rejected.
package sockmark

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Control returns a net.Dialer / net.ListenConfig Control function that sets
// SO_MARK before the socket connects, so even the first packet carries the
// mark. Setting it needs CAP_NET_ADMIN. Mark 0 leaves sockets unmarked.
func Control(mark uint32) func(network, address string, c syscall.RawConn) error {
	if mark == 0 {
		return nil
	}
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
		}); err != nil {
			return fmt.Errorf("reaching socket to set SO_MARK: %w", err)
		}
		if serr != nil {
			return fmt.Errorf("setting SO_MARK %#x: %w", mark, serr)
		}
		return nil
	}
}
