package nflog

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/warden-sh/warden/shared"
)

// decodePacket turns the start of a logged IP packet into a conn-rejected
// event: destination address, transport protocol and, for protocols that
// have one, destination port. It reports false when the bytes are not an
// IPv4 or IPv6 packet. A packet cut short by the copy range still yields the
// address and protocol.
func decodePacket(payload []byte) (shared.Event, bool) {
	if len(payload) == 0 {
		return shared.Event{}, false
	}
	var first gopacket.LayerType
	switch payload[0] >> 4 {
	case 4:
		first = layers.LayerTypeIPv4
	case 6:
		first = layers.LayerTypeIPv6
	default:
		return shared.Event{}, false
	}
	pkt := gopacket.NewPacket(payload, first, gopacket.DecodeOptions{NoCopy: true})

	var (
		dst   []byte
		proto layers.IPProtocol
		port  int
	)
	// Only the outermost IP header, its IPv6 extension headers and the
	// transport header right after them describe the attempt; anything
	// further in is tunnelled content.
walk:
	for i, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.IPv4:
			if i > 0 {
				break walk
			}
			dst, proto = l.DstIP, l.Protocol
		case *layers.IPv6:
			if i > 0 {
				break walk
			}
			dst, proto = l.DstIP, l.NextHeader
		case *layers.IPv6HopByHop:
			proto = l.NextHeader
		case *layers.IPv6Routing:
			proto = l.NextHeader
		case *layers.IPv6Destination:
			proto = l.NextHeader
		case *layers.IPv6Fragment:
			proto = l.NextHeader
			// gopacket treats all data behind a fragment header as a
			// fragment, but an atomic fragment carries a whole datagram.
			if l.FragmentOffset == 0 && !l.MoreFragments {
				port = leadingPort(proto, l.LayerPayload())
			}
			break walk
		case *layers.TCP:
			port = int(l.DstPort)
			break walk
		case *layers.UDP:
			port = int(l.DstPort)
			break walk
		case *layers.UDPLite:
			port = int(l.DstPort)
			break walk
		case *layers.SCTP:
			port = int(l.DstPort)
			break walk
		default:
			break walk
		}
	}
	addr, ok := netip.AddrFromSlice(dst)
	if !ok {
		return shared.Event{}, false
	}
	return shared.Event{
		Kind:     shared.EventConnRejected,
		Address:  addr.String(),
		Port:     port,
		Protocol: protocolName(proto),
	}, true
}

// leadingPort reads the destination port from the start of a transport
// header, for the protocols that put it at bytes 2 and 3.
func leadingPort(p layers.IPProtocol, b []byte) int {
	switch p {
	case layers.IPProtocolTCP, layers.IPProtocolUDP, layers.IPProtocolUDPLite, layers.IPProtocolSCTP:
		if len(b) >= 4 {
			return int(binary.BigEndian.Uint16(b[2:4]))
		}
	}
	return 0
}

// protocolName gives the lower-case name users know for common transports
// and the protocol number for the rest.
func protocolName(p layers.IPProtocol) string {
	switch p {
	case layers.IPProtocolTCP:
		return "tcp"
	case layers.IPProtocolUDP:
		return "udp"
	case layers.IPProtocolICMPv4:
		return "icmp"
	case layers.IPProtocolICMPv6:
		return "icmpv6"
	case layers.IPProtocolSCTP:
		return "sctp"
	case layers.IPProtocolUDPLite:
		return "udplite"
	}
	return strconv.Itoa(int(p))
}
