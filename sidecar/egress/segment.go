package egress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// TCP flags the check reads.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagACK = 0x10
	flagURG = 0x20
)

// flowKey names one TCP connection by its original direction.
type flowKey struct {
	src, dst netip.AddrPort
}

func (k flowKey) String() string { return k.src.String() + " -> " + k.dst.String() }

// segment is what the check reads of one queued packet: the agent's TCP
// segment to a destination.
type segment struct {
	key     flowKey
	seq     uint32
	flags   uint8
	payload []byte
}

const (
	protoTCP    = 6
	ipv4HdrMin  = 20
	ipv6HdrLen  = 40
	tcpHdrMin   = 20
	ipv4OffMask = 0x3fff // MF and fragment offset
)

// parseSegment reads an IPv4 or IPv6 packet carrying TCP. Anything else
// (fragments, IPv6 extension headers, another protocol) is an error: the
// agent's kernel sends none of these on a TCP connection, and what the check
// cannot read it does not pass.
func parseSegment(b []byte) (segment, error) {
	var s segment
	if len(b) < 1 {
		return s, errors.New("empty packet")
	}
	var tcp []byte
	switch b[0] >> 4 {
	case 4:
		if len(b) < ipv4HdrMin {
			return s, errors.New("IPv4 header cut short")
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < ipv4HdrMin || len(b) < ihl {
			return s, fmt.Errorf("IPv4 header length %d", ihl)
		}
		if b[9] != protoTCP {
			return s, fmt.Errorf("IPv4 protocol %d, not TCP", b[9])
		}
		if binary.BigEndian.Uint16(b[6:])&ipv4OffMask != 0 {
			return s, errors.New("IPv4 fragment")
		}
		src := netip.AddrFrom4([4]byte(b[12:16]))
		dst := netip.AddrFrom4([4]byte(b[16:20]))
		// GSO packets can carry a total length of 0; the captured bytes
		// are the packet.
		end := len(b)
		if tl := int(binary.BigEndian.Uint16(b[2:])); tl >= ihl && tl < end {
			end = tl
		}
		tcp = b[ihl:end]
		s.key.src, s.key.dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	case 6:
		if len(b) < ipv6HdrLen {
			return s, errors.New("IPv6 header cut short")
		}
		if b[6] != protoTCP {
			return s, fmt.Errorf("IPv6 next header %d, not TCP", b[6])
		}
		end := len(b)
		if pl := int(binary.BigEndian.Uint16(b[4:])); pl != 0 && ipv6HdrLen+pl < end {
			end = ipv6HdrLen + pl
		}
		src := netip.AddrFrom16([16]byte(b[8:24]))
		dst := netip.AddrFrom16([16]byte(b[24:40]))
		tcp = b[ipv6HdrLen:end]
		s.key.src, s.key.dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
	default:
		return s, fmt.Errorf("IP version %d", b[0]>>4)
	}
	if len(tcp) < tcpHdrMin {
		return s, errors.New("TCP header cut short")
	}
	off := int(tcp[12]>>4) * 4
	if off < tcpHdrMin || off > len(tcp) {
		return s, fmt.Errorf("TCP data offset %d", off)
	}
	s.key.src = netip.AddrPortFrom(s.key.src.Addr(), binary.BigEndian.Uint16(tcp[0:]))
	s.key.dst = netip.AddrPortFrom(s.key.dst.Addr(), binary.BigEndian.Uint16(tcp[2:]))
	s.seq = binary.BigEndian.Uint32(tcp[4:])
	s.flags = tcp[13]
	s.payload = tcp[off:]
	return s, nil
}

// seqLE reports whether a comes at or before b in sequence space.
func seqLE(a, b uint32) bool { return int32(b-a) >= 0 }
