package nflog

import (
	"encoding/binary"
	"testing"

	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"
)

func TestConfigMessages(t *testing.T) {
	tests := []struct {
		name  string
		build func(uint16) (netlink.Message, error)
		attrs []byte
	}{
		{
			name:  "bind",
			build: bindMessage,
			// NFULA_CFG_CMD (len 5, type 1) {BIND}, padded to 8
			attrs: []byte{5, 0, 1, 0, nfulnlCfgCmdBind, 0, 0, 0},
		},
		{
			name:  "mode",
			build: modeMessage,
			attrs: []byte{
				// NFULA_CFG_MODE (len 10, type 2) {copy_range 128 BE, COPY_PACKET, pad}, padded to 12
				10, 0, 2, 0, 0, 0, 0, copyRange, nfulnlCopyPacket, 0, 0, 0,
				// NFULA_CFG_QTHRESH (len 8, type 5) 1 BE
				8, 0, 5, 0, 0, 0, 0, 1,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.build(44)
			require.NoError(t, err)
			require.Equal(t, netlink.HeaderType(0x0401), m.Header.Type)
			require.Equal(t, netlink.Request|netlink.Acknowledge, m.Header.Flags)
			// nfgenmsg: AF_UNSPEC, version 0, res_id 44 big endian
			require.Equal(t, append([]byte{0, 0, 0, 44}, tc.attrs...), m.Data)
		})
	}
}

// packetMessage builds the body of an NFULNL_MSG_PACKET as the kernel does.
func packetMessage(t *testing.T, payload []byte, prefix string) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	ae.Bytes(nfulaPacketHdr, []byte{0x08, 0x00, 3, 0}) // ETH_P_IP, NF_INET_LOCAL_OUT
	ae.Uint32(2, 0x5744)                               // NFULA_MARK, ignored
	if prefix != "" {
		ae.String(nfulaPrefix, prefix)
	}
	if payload != nil {
		ae.Bytes(nfulaPayload, payload)
	}
	b, err := ae.Encode()
	require.NoError(t, err)
	return append([]byte{2, 0, 0, 44}, b...)
}

func TestParsePacket(t *testing.T) {
	payload := []byte{0x45, 1, 2, 3}

	t.Run("all attributes", func(t *testing.T) {
		p, err := parsePacket(packetMessage(t, payload, "warden"))
		require.NoError(t, err)
		require.Equal(t, uint16(0x0800), p.hwProtocol)
		require.Equal(t, "warden", p.prefix)
		require.Equal(t, payload, p.payload)
	})
	t.Run("no prefix", func(t *testing.T) {
		p, err := parsePacket(packetMessage(t, payload, ""))
		require.NoError(t, err)
		require.Empty(t, p.prefix)
	})
	t.Run("no payload", func(t *testing.T) {
		_, err := parsePacket(packetMessage(t, nil, "warden"))
		require.ErrorIs(t, err, errNoPayload)
	})
	t.Run("shorter than nfgenmsg", func(t *testing.T) {
		_, err := parsePacket([]byte{2, 0})
		require.Error(t, err)
	})
	t.Run("attribute length past the end", func(t *testing.T) {
		_, err := parsePacket([]byte{2, 0, 0, 44, 200, 0, nfulaPayload, 0, 1, 2})
		require.Error(t, err)
	})
	t.Run("short packet header", func(t *testing.T) {
		_, err := parsePacket([]byte{2, 0, 0, 44, 5, 0, nfulaPacketHdr, 0, 8, 0, 0, 0})
		require.Error(t, err)
	})
}

func FuzzParsePacket(f *testing.F) {
	f.Add([]byte{2, 0, 0, 44, 8, 0, nfulaPayload, 0, 0x45, 0, 0, 20})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePacket(b)
		if err == nil {
			require.NotEmpty(t, p.payload)
		}
	})
}
