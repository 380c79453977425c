package nfqueue

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Values from linux/netfilter/nfnetlink.h, nfnetlink_queue.h and
// nfnetlink_conntrack.h.
const (
	nfnlSubsysQueue = 3

	nfqnlMsgPacket  = 0
	nfqnlMsgVerdict = 1
	nfqnlMsgConfig  = 2

	nfqaPacketHdr  = 1
	nfqaVerdictHdr = 2
	nfqaMark       = 3
	nfqaPayload    = 10

	nfqaCfgCmd      = 1
	nfqaCfgParams   = 2
	nfqaCfgQueueMax = 3
	nfqaCfgMask     = 4
	nfqaCfgFlags    = 5

	nfqnlCfgCmdBind   = 1
	nfqnlCfgCmdUnbind = 2
	nfqnlCopyPacket   = 2

	nfqaCfgFGSO = 0x04

	nlmsgHdrLen = 16
	nfgenLen    = 4
)

const (
	msgTypePacket  = nfnlSubsysQueue<<8 | nfqnlMsgPacket
	msgTypeVerdict = nfnlSubsysQueue<<8 | nfqnlMsgVerdict
	msgTypeConfig  = nfnlSubsysQueue<<8 | nfqnlMsgConfig
)

func align4(n int) int { return (n + 3) &^ 3 }

// appendHeader appends a netlink header and an nfgenmsg for queue; the
// length is patched by finish.
func appendHeader(b []byte, typ uint16, flags uint16, seq uint32, queue uint16) []byte {
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = append(b, unix.AF_UNSPEC, 0)
	return binary.BigEndian.AppendUint16(b, queue)
}

// finish writes the length of the message that starts at start.
func finish(b []byte, start int) []byte {
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// appendAttr appends one netlink attribute with its padding.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// configMessages are the requests that bind queue and set how packets come:
// whole (GSO packets unsegmented), at most maxLen held at once.
func configMessages(queue uint16, maxLen uint32) [][]byte {
	msg := func(seq uint32, attrs ...[]byte) []byte {
		b := appendHeader(nil, msgTypeConfig, unix.NLM_F_REQUEST|unix.NLM_F_ACK, seq, queue)
		for _, a := range attrs {
			b = append(b, a...)
		}
		return finish(b, 0)
	}
	cmd := func(c byte) []byte { return appendAttr(nil, nfqaCfgCmd, []byte{c, 0, 0, 0}) } // struct nfqnl_msg_config_cmd, pf 0
	params := binary.BigEndian.AppendUint32(nil, 0xffff)
	params = append(params, nfqnlCopyPacket)
	flags := uint32(nfqaCfgFGSO)
	return [][]byte{
		msg(1, cmd(nfqnlCfgCmdBind)),
		msg(2, appendAttr(nil, nfqaCfgParams, params)),
		msg(3, appendAttr(nil, nfqaCfgQueueMax, be32(maxLen))),
		msg(4, appendAttr(nil, nfqaCfgFlags, be32(flags)), appendAttr(nil, nfqaCfgMask, be32(flags))),
	}
}

// Verdict is what becomes of a queued packet.
type Verdict struct {
	Action Action
	// Mark, when SetMark is true, becomes the packet's mark before it goes
	// on; with Repeat the rules see it, and can save it to the connection
	// (CONNMARK --save-mark). Queued packets do not carry their conntrack
	// entry here: that needs CONFIG_NETFILTER_NETLINK_GLUE_CT, which
	// kernels may lack.
	Mark    uint32
	SetMark bool
}

// Action is the kernel's verdict value (NF_DROP, NF_ACCEPT, NF_REPEAT).
type Action uint32

const (
	Drop   Action = 0
	Accept Action = 1
	// Repeat sends the packet through the hook's rules again, which then
	// see the mark set with the verdict.
	Repeat Action = 4
)

// appendVerdict appends the verdict message for packet id.
func appendVerdict(b []byte, queue uint16, id uint32, v Verdict) []byte {
	start := len(b)
	b = appendHeader(b, msgTypeVerdict, unix.NLM_F_REQUEST, 0, queue)
	hdr := binary.BigEndian.AppendUint32(nil, uint32(v.Action))
	hdr = binary.BigEndian.AppendUint32(hdr, id)
	b = appendAttr(b, nfqaVerdictHdr, hdr)
	if v.SetMark {
		b = appendAttr(b, nfqaMark, be32(v.Mark))
	}
	return finish(b, start)
}

// Packet is one queued packet. Data points into the receive buffer and is
// valid only until the handler returns.
type Packet struct {
	ID   uint32
	Data []byte // the IP packet
	Mark uint32 // the packet's mark
}

var errShort = errors.New("message shorter than its header")

// parsePacket reads one NFQNL_MSG_PACKET body (after the netlink header).
func parsePacket(body []byte) (Packet, error) {
	var p Packet
	if len(body) < nfgenLen {
		return p, errShort
	}
	var haveHdr bool
	for b := body[nfgenLen:]; len(b) >= 4; {
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) &^ 0x8000 // NLA_F_NESTED
		if l < 4 || l > len(b) {
			return p, fmt.Errorf("attribute %d of length %d in %d bytes", typ, l, len(b))
		}
		data := b[4:l]
		switch typ {
		case nfqaPacketHdr:
			if len(data) < 4 {
				return p, fmt.Errorf("packet header of %d bytes", len(data))
			}
			p.ID = binary.BigEndian.Uint32(data)
			haveHdr = true
		case nfqaPayload:
			p.Data = data
		case nfqaMark:
			if len(data) >= 4 {
				p.Mark = binary.BigEndian.Uint32(data)
			}
		}
		if align4(l) >= len(b) {
			break
		}
		b = b[align4(l):]
	}
	if !haveHdr {
		return p, errors.New("queued packet without a packet header")
	}
	return p, nil
}

// Verdicts decodes the verdicts recorded in b, in order; for tests and
// logs, not the hot path.
func (b *Batch) Verdicts() []IDVerdict {
	var out []IDVerdict
	for m := b.buf; len(m) >= nlmsgHdrLen; {
		l := int(binary.NativeEndian.Uint32(m))
		if l < nlmsgHdrLen || l > len(m) {
			break
		}
		var v IDVerdict
		for a := m[nlmsgHdrLen+nfgenLen : l]; len(a) >= 4; {
			al := int(binary.NativeEndian.Uint16(a))
			if al < 4 || al > len(a) {
				break
			}
			switch binary.NativeEndian.Uint16(a[2:]) {
			case nfqaVerdictHdr:
				v.Action = Action(binary.BigEndian.Uint32(a[4:]))
				v.ID = binary.BigEndian.Uint32(a[8:])
			case nfqaMark:
				v.Mark, v.SetMark = binary.BigEndian.Uint32(a[4:]), true
			}
			if align4(al) >= len(a) {
				break
			}
			a = a[align4(al):]
		}
		out = append(out, v)
		if align4(l) >= len(m) {
			break
		}
		m = m[align4(l):]
	}
	return out
}

// IDVerdict is one decoded verdict.
type IDVerdict struct {
	ID uint32
	Verdict
}

// NewBatch returns an empty batch for queue, as Run makes for each read.
func NewBatch(queue uint16) *Batch { return &Batch{queue: queue} }
