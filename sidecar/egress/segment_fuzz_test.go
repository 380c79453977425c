package egress

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// FuzzParseSegment holds the hand-written TCP/IP reader to gopacket's: where
// both read a segment, they read the same ports, sequence number, flags and
// data.
func FuzzParseSegment(f *testing.F) {
	for _, seed := range [][]byte{
		append([]byte{0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 2, 192, 0, 2, 70,
			0x9c, 0x40, 1, 0xbb, 0, 0, 3, 0xe8, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0}, "hello"...),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSegment(b)
		if err != nil {
			return
		}
		first := layers.LayerTypeIPv4
		if b[0]>>4 == 6 {
			first = layers.LayerTypeIPv6
		}
		pkt := gopacket.NewPacket(b, first, gopacket.DecodeOptions{NoCopy: true})
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			if pkt.ErrorLayer() != nil {
				return // gopacket is stricter on some headers (checksummed options, lengths)
			}
			t.Fatalf("parsed a segment gopacket does not see as TCP: %v", pkt)
		}
		if uint16(tcp.SrcPort) != s.key.src.Port() || uint16(tcp.DstPort) != s.key.dst.Port() || tcp.Seq != s.seq {
			t.Fatalf("ports or sequence differ: %v vs %+v", tcp, s)
		}
		if tcp.SYN != (s.flags&flagSYN != 0) || tcp.RST != (s.flags&flagRST != 0) || tcp.URG != (s.flags&flagURG != 0) {
			t.Fatalf("flags differ: %v vs %#x", tcp, s.flags)
		}
		if !bytes.Equal(tcp.Payload, s.payload) {
			t.Fatalf("data differs: %x vs %x", tcp.Payload, s.payload)
		}
	})
}
