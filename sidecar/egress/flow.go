package egress

import (
	"bytes"
	"errors"
	"time"

	"github.com/warden-sh/warden/sidecar/nfqueue"
)

// protoKind is what the first bytes of a connection showed.
type protoKind int

const (
	protoUnknown protoKind = iota
	protoTLS
	protoHTTP
)

// heldPacket is a queued packet the check has not decided on yet, and the
// sequence number just past its data.
type heldPacket struct {
	id  uint32
	end uint32
}

// flow is one connection being judged. The agent's kernel sends its stream
// in order and sends again what was not acknowledged; the check takes bytes
// only in order, so what it judges is what the destination reads.
type flow struct {
	key  flowKey
	next uint32 // sequence number of the next byte expected
	ok   uint32 // bytes before it are judged and may go
	// buf holds the bytes from ok to next: taken, not yet judged.
	buf       []byte
	held      []heldPacket
	heldSince time.Time
	proto     protoKind
	http      httpCheck
	name      string // the name the connection was bound to
	counted   bool
	opened    time.Time // when its SYN came
}

// maxBuffered bounds what a flow holds unjudged: a ClientHello, a request
// head, or the packet that carries one (GSO packets reach 64 KiB).
const maxBuffered = maxHead + 128<<10

func (f *flow) start(isn1 uint32, now time.Time) {
	f.next, f.ok, f.opened = isn1, isn1, now
	f.buf, f.held = f.buf[:0], f.held[:0]
}

// take adds one data segment to its flow, in order, and judges what it can.
func (c *Check) take(f *flow, s segment, id uint32, out *nfqueue.Batch) {
	end := s.seq + uint32(len(s.payload))
	switch {
	case s.seq == f.next:
		f.next = end
		if f.proto == protoHTTP && len(f.buf) == 0 {
			// Nothing pending, as between requests and in bodies: the
			// bytes are judged where they lie, and only what stays
			// unjudged is copied.
			c.hold(f, id, end)
			c.judgeHTTP(f, out, s.payload)
			return
		}
		f.buf = append(f.buf, s.payload...)
	case seqLE(end, f.next):
		// Sent again. Bytes already judged may go again; bytes still
		// held in their first packet need no second copy.
		if seqLE(end, f.ok) {
			out.Set(id, nfqueue.Verdict{Action: nfqueue.Accept})
		} else {
			out.Set(id, nfqueue.Verdict{Action: nfqueue.Drop})
		}
		return
	case seqLE(s.seq, f.next):
		// Sent again with more: the overlap must be the bytes taken.
		if !c.sameAsTaken(f, s) {
			c.refuse(f, out, f.name, "data sent again differs", id)
			return
		}
		f.buf = append(f.buf, s.payload[f.next-s.seq:]...)
		f.next = end
	default:
		// A gap: earlier data was lost on the way here; the kernel sends it
		// again, and this again after it.
		out.Set(id, nfqueue.Verdict{Action: nfqueue.Drop})
		return
	}
	c.hold(f, id, end)
	if len(f.buf) > maxBuffered {
		c.refuse(f, out, f.name, "too much data before a name could be judged")
		return
	}
	c.judge(f, out)
}

// hold keeps packet id, whose data ends before end, until its bytes are
// judged.
func (c *Check) hold(f *flow, id, end uint32) {
	if len(f.held) == 0 {
		f.heldSince = time.Now()
	}
	f.held = append(f.held, heldPacket{id: id, end: end})
}

// sameAsTaken compares the part of s that overlaps bytes still buffered.
func (c *Check) sameAsTaken(f *flow, s segment) bool {
	from := s.seq
	if seqLE(from, f.ok) {
		from = f.ok
	}
	a := f.buf[from-f.ok : f.next-f.ok]
	b := s.payload[from-s.seq : f.next-s.seq]
	return bytes.Equal(a, b)
}

// judge decides on what the flow has taken so far.
func (c *Check) judge(f *flow, out *nfqueue.Batch) {
	if f.proto == protoUnknown {
		if len(f.buf) == 0 {
			return
		}
		if f.buf[0] == recordHandshake {
			f.proto = protoTLS
		} else {
			isHTTP, known := looksHTTP(f.buf)
			switch {
			case !known:
				return
			case isHTTP:
				f.proto = protoHTTP
			default:
				// Another protocol, or a server-first one (SSH, SMTP):
				// the address rule, which the set already applied.
				c.pass(f, "", out)
				return
			}
		}
	}
	if f.proto == protoTLS {
		c.judgeTLS(f, out)
		return
	}
	c.judgeHTTP(f, out, f.buf)
}

func (c *Check) judgeTLS(f *flow, out *nfqueue.Batch) {
	ch, _, err := readClientHello(f.buf)
	switch {
	case errors.Is(err, errIncomplete):
		if len(f.buf) > maxClientHelloLen+4*recordHeaderLen*8 {
			c.refuse(f, out, "", "ClientHello too long")
		}
	case err != nil:
		c.refuse(f, out, "", "TLS ClientHello does not parse: "+err.Error())
	case ch.serverName == "":
		c.refuse(f, out, "", "TLS without a server name (SNI)")
	case !c.allowed(ch.serverName):
		reason := "not allowed"
		if ch.ech {
			reason = "not allowed (outer name of an encrypted ClientHello)"
		}
		c.refuse(f, out, ch.serverName, reason)
	default:
		c.pass(f, ch.serverName, out)
	}
}

// judgeHTTP passes every request head whose Host is allowed, with its body,
// and holds the bytes of a head until it is whole. data are the bytes not
// yet judged: the flow's buffer, or a packet's when nothing was pending.
func (c *Check) judgeHTTP(f *flow, out *nfqueue.Batch, data []byte) {
	n, host, err := f.http.advance(data, c.allowed)
	f.ok += uint32(n)
	if rest := data[n:]; len(rest) == 0 {
		f.buf = nil // an idle kept-alive connection keeps no buffer
	} else {
		f.buf = append(f.buf[:0], rest...)
	}
	if host != "" && !f.counted {
		f.counted = true
		f.name = host
		c.checked.Add(1)
		c.bind(f, host)
	}
	if err != nil {
		var r *refusal
		name := ""
		if errors.As(err, &r) {
			name = r.name
		}
		c.refuse(f, out, name, err.Error())
		return
	}
	c.release(f, out)
}

// release lets go the held packets whose data is all judged.
func (c *Check) release(f *flow, out *nfqueue.Batch) {
	i := 0
	for ; i < len(f.held) && seqLE(f.held[i].end, f.ok); i++ {
		out.Set(f.held[i].id, nfqueue.Verdict{Action: nfqueue.Accept})
	}
	f.held = append(f.held[:0], f.held[i:]...)
	if len(f.held) > 0 {
		f.heldSince = time.Now()
	}
}

// pass lets the connection go on in the kernel, bound to name.
func (c *Check) pass(f *flow, name string, out *nfqueue.Batch) {
	for i, h := range f.held {
		v := nfqueue.Verdict{Action: nfqueue.Accept}
		if i == 0 {
			v = c.passVerdict()
		}
		out.Set(h.id, v)
	}
	c.checked.Add(1)
	c.bind(f, name)
	c.drop(f)
}

// refuse resets the connection: the first held packet walks the rules
// again marked refused and is answered with a reset, the others are
// dropped. ids are packets not yet held.
func (c *Check) refuse(f *flow, out *nfqueue.Batch, name, reason string, ids ...uint32) {
	first := true
	verdict := func(id uint32) {
		if first {
			out.Set(id, c.refuseVerdict())
			first = false
			return
		}
		out.Set(id, nfqueue.Verdict{Action: nfqueue.Drop})
	}
	for _, h := range f.held {
		verdict(h.id)
	}
	for _, id := range ids {
		verdict(id)
	}
	if !f.counted {
		c.checked.Add(1)
	}
	c.refusal(f.key.dst, name, reason)
	c.mu.Lock()
	delete(c.bound, f.key)
	c.mu.Unlock()
	c.drop(f)
}
