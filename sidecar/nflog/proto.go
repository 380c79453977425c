package nflog

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Values from linux/netfilter/nfnetlink.h and linux/netfilter/nfnetlink_log.h.
const (
	nfnlSubsysULOG = 4
	nfnetlinkV0    = 0

	nfulnlMsgPacket = 0
	nfulnlMsgConfig = 1

	nfulaPacketHdr = 1
	nfulaPayload   = 9
	nfulaPrefix    = 10

	nfulaCfgCmd     = 1
	nfulaCfgMode    = 2
	nfulaCfgQThresh = 5

	nfulnlCfgCmdBind = 1
	nfulnlCopyPacket = 2
)

// copyRange is how many bytes of each packet the kernel copies to us: enough
// for an IPv6 header, a few extension headers and a TCP header.
const copyRange = 128

const (
	msgTypeConfig = netlink.HeaderType(nfnlSubsysULOG<<8 | nfulnlMsgConfig)
	msgTypePacket = netlink.HeaderType(nfnlSubsysULOG<<8 | nfulnlMsgPacket)
)

// nfgenHeader is struct nfgenmsg: family, version, resource id (the group).
func nfgenHeader(group uint16) []byte {
	b := []byte{unix.AF_UNSPEC, nfnetlinkV0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], group)
	return b
}

// configMessage builds one NFULNL_MSG_CONFIG request for group.
func configMessage(group uint16, attrs func(ae *netlink.AttributeEncoder)) (netlink.Message, error) {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	attrs(ae)
	b, err := ae.Encode()
	if err != nil {
		return netlink.Message{}, fmt.Errorf("encoding NFLOG config attributes: %w", err)
	}
	return netlink.Message{
		Header: netlink.Header{
			Type:  msgTypeConfig,
			Flags: netlink.Request | netlink.Acknowledge,
		},
		Data: append(nfgenHeader(group), b...),
	}, nil
}

// bindMessage asks the kernel to send group's packets to this socket.
func bindMessage(group uint16) (netlink.Message, error) {
	return configMessage(group, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(nfulaCfgCmd, []byte{nfulnlCfgCmdBind})
	})
}

// modeMessage asks for the first copyRange bytes of each packet, delivered
// one by one (queue threshold 1) rather than batched for up to a second.
func modeMessage(group uint16) (netlink.Message, error) {
	return configMessage(group, func(ae *netlink.AttributeEncoder) {
		mode := make([]byte, 6) // struct nfulnl_msg_config_mode, packed
		binary.BigEndian.PutUint32(mode[0:4], copyRange)
		mode[4] = nfulnlCopyPacket
		ae.Bytes(nfulaCfgMode, mode)
		ae.Uint32(nfulaCfgQThresh, 1)
	})
}

// packet is what one NFULNL_MSG_PACKET carries that the reader uses.
type packet struct {
	hwProtocol uint16
	prefix     string
	payload    []byte
}

var errNoPayload = errors.New("NFLOG message has no packet payload")

// parsePacket reads the body of an NFULNL_MSG_PACKET message: the nfgenmsg
// header followed by NFULA_* attributes.
func parsePacket(data []byte) (packet, error) {
	var p packet
	if len(data) < 4 {
		return p, fmt.Errorf("NFLOG message of %d bytes is shorter than its header", len(data))
	}
	ad, err := netlink.NewAttributeDecoder(data[4:])
	if err != nil {
		return p, fmt.Errorf("reading NFLOG attributes: %w", err)
	}
	ad.ByteOrder = binary.BigEndian
	for ad.Next() {
		switch ad.Type() {
		case nfulaPacketHdr:
			ad.Do(func(b []byte) error {
				if len(b) < 2 {
					return fmt.Errorf("NFULA_PACKET_HDR of %d bytes", len(b))
				}
				p.hwProtocol = binary.BigEndian.Uint16(b)
				return nil
			})
		case nfulaPrefix:
			p.prefix = ad.String()
		case nfulaPayload:
			p.payload = ad.Bytes()
		}
	}
	if err := ad.Err(); err != nil {
		return p, fmt.Errorf("reading NFLOG attributes: %w", err)
	}
	if len(p.payload) == 0 {
		return p, errNoPayload
	}
	return p, nil
}
