package dnsfilter

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Offsets and bits of the DNS header (RFC 1035 4.1.1).
const (
	headerLen = 12
	bitsQR    = 0x80 // byte 2
	bitsOp    = 0x78 // byte 2
	bitsTC    = 0x02 // byte 2
	bitsRD    = 0x01 // byte 2
	bitsAD    = 0x20 // byte 3
	bitsCD    = 0x10 // byte 3
	bitsRcode = 0x0f // byte 3
	bitsDO    = 0x80 // high byte of the OPT flags
	minUDP    = dns.MinMsgSize
	maxUDP    = dns.DefaultMsgSize
)

var errMalformed = errors.New("malformed DNS message")

// queryOpts are the parts of a client's query that travel upstream.
type queryOpts struct {
	rd, ad, cd bool
	edns       bool
	udpSize    uint16
	do         bool
}

// upstreamQuery rebuilds the client's query from its first question, the
// RD/AD/CD bits and its EDNS buffer size and DO bit. Nothing else the client
// put in its message is passed on.
func upstreamQuery(req *dns.Msg) ([]byte, error) {
	o := queryOpts{rd: req.RecursionDesired, ad: req.AuthenticatedData, cd: req.CheckingDisabled}
	if opt := req.IsEdns0(); opt != nil {
		o.edns = true
		o.udpSize = min(max(opt.UDPSize(), minUDP), maxUDP)
		o.do = opt.Do()
	}
	q := req.Question[0]
	return packQuery(q.Name, q.Qtype, q.Qclass, o)
}

// packQuery writes a one-question query with ID 0; the sender sets the ID.
func packQuery(name string, qtype, qclass uint16, o queryOpts) ([]byte, error) {
	buf := make([]byte, headerLen+256+4+11)
	if o.rd {
		buf[2] |= bitsRD
	}
	if o.ad {
		buf[3] |= bitsAD
	}
	if o.cd {
		buf[3] |= bitsCD
	}
	binary.BigEndian.PutUint16(buf[4:], 1)
	off, err := dns.PackDomainName(name, buf, headerLen, nil, false)
	if err != nil {
		return nil, err
	}
	if off == headerLen {
		return nil, errMalformed
	}
	binary.BigEndian.PutUint16(buf[off:], qtype)
	binary.BigEndian.PutUint16(buf[off+2:], qclass)
	off += 4
	if o.edns {
		binary.BigEndian.PutUint16(buf[10:], 1)
		buf[off] = 0 // root owner
		binary.BigEndian.PutUint16(buf[off+1:], dns.TypeOPT)
		binary.BigEndian.PutUint16(buf[off+3:], o.udpSize)
		if o.do {
			buf[off+7] = bitsDO
		}
		off += 11 // TTL (extended rcode, version, flags) and RDLENGTH stay 0
	}
	return buf[:off], nil
}

func msgID(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

func setMsgID(b []byte, id uint16) { binary.BigEndian.PutUint16(b, id) }

func truncated(b []byte) bool { return len(b) >= headerLen && b[2]&bitsTC != 0 }

func rcode(b []byte) int { return int(b[3] & bitsRcode) }

// questionEnd returns where the question of a query packed by packQuery
// ends, and where its name ends.
func questionEnd(q []byte) (nameEnd, end int, err error) {
	off := headerLen
	for {
		if off >= len(q) {
			return 0, 0, errMalformed
		}
		l := int(q[off])
		if l == 0 {
			off++
			break
		}
		if l&0xc0 != 0 {
			return 0, 0, errMalformed
		}
		off += 1 + l
	}
	if off+4 > len(q) {
		return 0, 0, errMalformed
	}
	return off, off + 4, nil
}

// answers reports whether reply is a response to query: a response with
// the same opcode and exactly the question asked (the name compared without
// regard to ASCII case, type and class exactly). The IDs are compared by the
// caller, which routes replies by ID.
func answers(reply, query []byte, nameEnd, end int) bool {
	if len(reply) < end || reply[2]&bitsQR == 0 || reply[2]&bitsOp != query[2]&bitsOp {
		return false
	}
	if binary.BigEndian.Uint16(reply[4:]) != 1 {
		return false
	}
	for i := headerLen; i < nameEnd; i++ {
		if lowerASCII(reply[i]) != lowerASCII(query[i]) {
			return false
		}
	}
	return string(reply[nameEnd:end]) == string(query[nameEnd:end])
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// record is one answer-section record, as much of it as the chain walk
// needs. Names are lower case and fully qualified.
type record struct {
	name   string
	rrtype uint16
	ttl    uint32
	target string     // CNAME
	addr   netip.Addr // A, AAAA
}

// parseAnswers reads the answer section of a reply. Records of classes other
// than IN and types other than A, AAAA and CNAME are skipped; the authority
// and additional sections are not read at all.
func parseAnswers(msg []byte) ([]record, error) {
	if len(msg) < headerLen {
		return nil, errMalformed
	}
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	an := int(binary.BigEndian.Uint16(msg[6:]))
	off := headerLen
	var err error
	for range qd {
		if off, err = skipName(msg, off); err != nil {
			return nil, err
		}
		off += 4
	}
	if off > len(msg) {
		return nil, errMalformed
	}
	var out []record
	for range an {
		var name string
		name, off, err = dns.UnpackDomainName(msg, off)
		if err != nil {
			return nil, err
		}
		if off+10 > len(msg) {
			return nil, errMalformed
		}
		rrtype := binary.BigEndian.Uint16(msg[off:])
		class := binary.BigEndian.Uint16(msg[off+2:])
		ttl := binary.BigEndian.Uint32(msg[off+4:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		rdata := off + 10
		off = rdata + rdlen
		if off > len(msg) {
			return nil, errMalformed
		}
		if class != dns.ClassINET {
			continue
		}
		r := record{name: strings.ToLower(name), rrtype: rrtype, ttl: ttl}
		switch {
		case rrtype == dns.TypeA && rdlen == 4:
			r.addr = netip.AddrFrom4([4]byte(msg[rdata:off]))
		case rrtype == dns.TypeAAAA && rdlen == 16:
			r.addr = netip.AddrFrom16([16]byte(msg[rdata:off]))
		case rrtype == dns.TypeCNAME:
			target, end, err := dns.UnpackDomainName(msg, rdata)
			if err != nil || end != off {
				return nil, errMalformed
			}
			r.target = strings.ToLower(target)
		default:
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// skipName returns the offset just past the name at off.
func skipName(msg []byte, off int) (int, error) {
	for {
		if off >= len(msg) {
			return 0, errMalformed
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				return off + 1, nil
			}
			off += 1 + c
		case 0xc0:
			return off + 2, nil
		default:
			return 0, errMalformed
		}
	}
}
