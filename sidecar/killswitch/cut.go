package killswitch

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/ti-mo/conntrack"
)

// Judge reports whether a flow may stay open.
type Judge func(f conntrack.Flow) (keep bool)

// TCP states of conntrack (nf_conntrack_tcp.h) of a connection already
// closed: its entry only waits out stray packets.
const (
	tcpTimeWait = 7
	tcpClose    = 8
)

// Cut deletes every open flow judge does not keep and returns how many it
// cut. A flow that ended between the dump and its deletion is not an error.
func Cut(t Table, keep Judge) (int, error) {
	flows, err := t.Dump()
	if err != nil {
		return 0, err
	}
	cut := 0
	var errs []error
	for _, f := range flows {
		if closed(f) || keep(f) {
			continue
		}
		if err := t.Delete(f); err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue
			}
			errs = append(errs, fmt.Errorf("cutting %s: %w", describe(f.TupleOrig), err))
			continue
		}
		cut++
	}
	return cut, errors.Join(errs...)
}

func closed(f conntrack.Flow) bool {
	tcp := f.ProtoInfo.TCP
	return tcp != nil && (tcp.State == tcpTimeWait || tcp.State == tcpClose)
}

func describe(t conntrack.Tuple) string {
	return fmt.Sprintf("proto %d %s -> %s", t.Proto.Protocol,
		netip.AddrPortFrom(t.IP.SourceAddress, t.Proto.SourcePort),
		netip.AddrPortFrom(t.IP.DestinationAddress, t.Proto.DestinationPort))
}
