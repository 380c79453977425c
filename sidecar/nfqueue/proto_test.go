package nfqueue

import (
	"encoding/binary"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The hand-built messages are checked against mdlayher/netlink's encoding
// and decoding of the same layout.

func TestVerdictMessageMatchesLibrary(t *testing.T) {
	b := NewBatch(5744)
	b.Set(7, Verdict{Action: Repeat, Mark: 0x200000, SetMark: true})
	b.Set(8, Verdict{Action: Drop})

	var msgs []netlink.Message
	for m := b.buf; len(m) > 0; {
		var nm netlink.Message
		require.NoError(t, nm.UnmarshalBinary(m[:binary.NativeEndian.Uint32(m)]))
		msgs = append(msgs, nm)
		m = m[align4(int(nm.Header.Length)):]
	}
	require.Len(t, msgs, 2)
	for i, want := range []struct {
		id, verdict uint32
		mark        *uint32
	}{{7, uint32(Repeat), ptr(uint32(0x200000))}, {8, uint32(Drop), nil}} {
		m := msgs[i]
		require.Equal(t, netlink.HeaderType(msgTypeVerdict), m.Header.Type)
		require.Equal(t, netlink.Request, m.Header.Flags)
		require.Equal(t, []byte{unix.AF_UNSPEC, 0, 0x16, 0x70}, m.Data[:4], "nfgenmsg: family, version, queue 5744")
		ad, err := netlink.NewAttributeDecoder(m.Data[4:])
		require.NoError(t, err)
		ad.ByteOrder = binary.BigEndian
		var gotMark *uint32
		for ad.Next() {
			switch ad.Type() {
			case nfqaVerdictHdr:
				hdr := ad.Bytes()
				require.Equal(t, want.verdict, binary.BigEndian.Uint32(hdr[0:]))
				require.Equal(t, want.id, binary.BigEndian.Uint32(hdr[4:]))
			case nfqaMark:
				gotMark = ptr(ad.Uint32())
			}
		}
		require.NoError(t, ad.Err())
		require.Equal(t, want.mark, gotMark)
	}
	require.Equal(t, []IDVerdict{
		{ID: 7, Verdict: Verdict{Action: Repeat, Mark: 0x200000, SetMark: true}},
		{ID: 8, Verdict: Verdict{Action: Drop}},
	}, b.Verdicts())
}

func TestParsePacketMatchesLibrary(t *testing.T) {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Bytes(nfqaPacketHdr, []byte{0, 0, 0, 42, 0x08, 0x00, 3}) // id 42, IPv4, hook
	ae.Uint32(nfqaMark, 0x5744)
	ae.Bytes(nfqaPayload, []byte{0x45, 1, 2}) // odd length: padded
	ae.Uint32(99, 1)                          // an attribute the parser does not know
	attrs, err := ae.Encode()
	require.NoError(t, err)
	body := append([]byte{unix.AF_INET, 0, 0x16, 0x70}, attrs...)

	p, err := parsePacket(body)
	require.NoError(t, err)
	require.Equal(t, uint32(42), p.ID)
	require.Equal(t, uint32(0x5744), p.Mark)
	require.Equal(t, []byte{0x45, 1, 2}, p.Data)

	_, err = parsePacket(body[:len(body)-3])
	require.Error(t, err, "an attribute longer than the message")
	_, err = parsePacket([]byte{unix.AF_INET, 0, 0, 1})
	require.ErrorContains(t, err, "without a packet header")
}

func TestConfigMessagesMatchLibrary(t *testing.T) {
	msgs := configMessages(5744, 1024)
	require.Len(t, msgs, 4)
	for _, b := range msgs {
		var m netlink.Message
		require.NoError(t, m.UnmarshalBinary(b))
		require.Equal(t, netlink.HeaderType(msgTypeConfig), m.Header.Type)
		require.Equal(t, netlink.Request|netlink.Acknowledge, m.Header.Flags)
		_, err := netlink.NewAttributeDecoder(m.Data[4:])
		require.NoError(t, err)
	}
}

func ptr[T any](v T) *T { return &v }
