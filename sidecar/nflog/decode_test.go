package nflog

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// serialize builds a packet from ls with lengths and checksums filled in.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	for _, l := range ls {
		switch tl := l.(type) {
		case *layers.TCP:
			require.NoError(t, tl.SetNetworkLayerForChecksum(ls[0].(gopacket.NetworkLayer)))
		case *layers.UDP:
			require.NoError(t, tl.SetNetworkLayerForChecksum(ls[0].(gopacket.NetworkLayer)))
		case *layers.ICMPv6:
			require.NoError(t, tl.SetNetworkLayerForChecksum(ls[0].(gopacket.NetworkLayer)))
		}
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	require.NoError(t, gopacket.SerializeLayers(buf, opts, ls...))
	return buf.Bytes()
}

func ipv4(proto layers.IPProtocol, dst string) *layers.IPv4 {
	return &layers.IPv4{
		Version: 4, IHL: 5, TTL: 64, Protocol: proto,
		SrcIP: net.ParseIP("192.0.2.1").To4(), DstIP: net.ParseIP(dst).To4(),
	}
}

func ipv6(next layers.IPProtocol, dst string) *layers.IPv6 {
	return &layers.IPv6{
		Version: 6, HopLimit: 64, NextHeader: next,
		SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP(dst),
	}
}

func tcpSYN(port layers.TCPPort) *layers.TCP {
	return &layers.TCP{SrcPort: 40000, DstPort: port, SYN: true, Seq: 1, Window: 64240}
}

func rejected(addr string, port int, proto string) shared.Event {
	return shared.Event{Kind: shared.EventConnRejected, Address: addr, Port: port, Protocol: proto}
}

func TestDecodePacket(t *testing.T) {
	hopByHop := &layers.IPv6HopByHop{Options: []*layers.IPv6HopByHopOption{{OptionType: 1, OptionData: []byte{0, 0, 0, 0}}}}
	hopByHop.NextHeader = layers.IPProtocolTCP
	v4frag := ipv4(layers.IPProtocolUDP, "198.51.100.7")
	v4frag.FragOffset = 185

	tests := []struct {
		name    string
		payload []byte
		want    shared.Event
		ok      bool
	}{
		{
			name:    "IPv4 UDP",
			payload: serialize(t, ipv4(layers.IPProtocolUDP, "192.0.2.99"), &layers.UDP{SrcPort: 5000, DstPort: 9}, gopacket.Payload("hello")),
			want:    rejected("192.0.2.99", 9, "udp"), ok: true,
		},
		{
			name:    "IPv4 TCP SYN",
			payload: serialize(t, ipv4(layers.IPProtocolTCP, "203.0.113.5"), tcpSYN(443)),
			want:    rejected("203.0.113.5", 443, "tcp"), ok: true,
		},
		{
			name: "IPv4 ICMP echo",
			payload: serialize(t, ipv4(layers.IPProtocolICMPv4, "198.51.100.1"),
				&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: 1}),
			want: rejected("198.51.100.1", 0, "icmp"), ok: true,
		},
		{
			name:    "IPv4 other protocol is named by number",
			payload: serialize(t, ipv4(layers.IPProtocolGRE, "198.51.100.2"), gopacket.Payload{0, 0, 0x08, 0}),
			want:    rejected("198.51.100.2", 0, "47"), ok: true,
		},
		{
			name:    "IPv4 later fragment has no port",
			payload: serialize(t, v4frag, gopacket.Payload("middle of a datagram")),
			want:    rejected("198.51.100.7", 0, "udp"), ok: true,
		},
		{
			name:    "IPv6 TCP SYN",
			payload: serialize(t, ipv6(layers.IPProtocolTCP, "2001:db8::99"), tcpSYN(443)),
			want:    rejected("2001:db8::99", 443, "tcp"), ok: true,
		},
		{
			name:    "IPv6 UDP",
			payload: serialize(t, ipv6(layers.IPProtocolUDP, "2001:db8::53"), &layers.UDP{SrcPort: 5000, DstPort: 53}),
			want:    rejected("2001:db8::53", 53, "udp"), ok: true,
		},
		{
			name: "IPv6 ICMPv6 echo",
			payload: serialize(t, ipv6(layers.IPProtocolICMPv6, "2001:db8::1:2"),
				&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)},
				&layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1}),
			want: rejected("2001:db8::1:2", 0, "icmpv6"), ok: true,
		},
		{
			name:    "IPv6 TCP behind a hop-by-hop header",
			payload: serialize(t, ipv6(layers.IPProtocolIPv6HopByHop, "2001:db8::80"), hopByHop, tcpSYN(80)),
			want:    rejected("2001:db8::80", 80, "tcp"), ok: true,
		},
		{
			name: "IPv6 UDP in an atomic fragment",
			payload: serialize(t, ipv6(layers.IPProtocolIPv6Fragment, "2001:db8::81"),
				&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, Identification: 7}, &layers.UDP{SrcPort: 1, DstPort: 8081}),
			want: rejected("2001:db8::81", 8081, "udp"), ok: true,
		},
		{
			name: "IPv6 later fragment has no port",
			payload: serialize(t, ipv6(layers.IPProtocolIPv6Fragment, "2001:db8::82"),
				&layers.IPv6Fragment{NextHeader: layers.IPProtocolUDP, FragmentOffset: 100, Identification: 7}, gopacket.Payload("middle")),
			want: rejected("2001:db8::82", 0, "udp"), ok: true,
		},
		{
			name: "tunnelled packet reports the outer header",
			payload: serialize(t, ipv4(layers.IPProtocolIPv4, "192.0.2.50"),
				ipv4(layers.IPProtocolTCP, "203.0.113.9"), tcpSYN(22)),
			want: rejected("192.0.2.50", 0, "4"), ok: true,
		},
		{
			name:    "IPv4 cut inside the TCP header keeps address and protocol",
			payload: serialize(t, ipv4(layers.IPProtocolTCP, "203.0.113.5"), tcpSYN(443))[:24],
			want:    rejected("203.0.113.5", 0, "tcp"), ok: true,
		},
		{
			name:    "IPv6 cut after the port survives",
			payload: serialize(t, ipv6(layers.IPProtocolUDP, "2001:db8::99"), &layers.UDP{SrcPort: 5000, DstPort: 9}, gopacket.Payload(make([]byte, 200)))[:48],
			want:    rejected("2001:db8::99", 9, "udp"), ok: true,
		},
		{name: "empty", payload: nil},
		{name: "not IP", payload: []byte{0x25, 1, 2, 3}},
		{name: "IPv4 header cut short", payload: serialize(t, ipv4(layers.IPProtocolUDP, "192.0.2.99"), &layers.UDP{DstPort: 9})[:12]},
		{name: "IPv6 header cut short", payload: serialize(t, ipv6(layers.IPProtocolUDP, "2001:db8::99"), &layers.UDP{DstPort: 9})[:30]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodePacket(tc.payload)
			require.Equal(t, tc.ok, ok)
			if tc.ok {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

func FuzzDecodePacket(f *testing.F) {
	f.Add([]byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 99})
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 17, 64})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, ok := decodePacket(b)
		if ok {
			require.Equal(t, shared.EventConnRejected, ev.Kind)
			require.NotEmpty(t, ev.Address)
			require.NotEmpty(t, ev.Protocol)
		}
	})
}
