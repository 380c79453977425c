package egress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// flow is one agent connection through the gate and, once dialled, its
// connection to the destination.
type flow struct {
	g      *Gate
	client *net.TCPConn
	dst    netip.AddrPort

	mu   sync.Mutex
	up   *net.TCPConn
	name string // the allowed name the connection was bound to, "" for the address rule
	dead bool
	// told is set once the agent was sent why it was refused: the end is
	// then a graceful close, so the message is not lost to a reset.
	told bool

	serverSpoke atomic.Bool
	halves      atomic.Int32 // directions finished cleanly
	done        chan struct{}
}

// firstRead is what the destination-to-agent direction reads before it
// hands over to io.Copy, to learn whether the server spoke first.
const firstRead = 512

var firstReadPool = sync.Pool{New: func() any { b := make([]byte, firstRead); return &b }}

func (f *flow) serve() {
	defer f.g.untrack(f)
	defer f.end()
	dst, err := f.g.destination(f.client)
	if err != nil {
		f.g.log.Debug("dropping a connection", "err", err)
		return
	}
	f.dst = dst
	f.g.checked.Add(1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dialed := make(chan bool, 1)
	go f.dialAndAnswer(ctx, dialed)

	st := &stream{c: f.client}
	if err := st.fill(0); err != nil {
		return
	}
	if f.serverSpoke.Load() {
		// A server-first protocol (SSH, SMTP): the address rule.
		f.pass(st, dialed, "")
		return
	}
	_ = f.client.SetReadDeadline(time.Now().Add(f.g.cfg.HeadTimeout))
	if st.pending()[0] == recordHandshake {
		f.serveTLS(st, dialed)
		return
	}
	for {
		isHTTP, ok := looksHTTP(st.pending())
		if ok {
			if isHTTP {
				f.serveHTTP(st, dialed)
			} else {
				f.pass(st, dialed, "")
			}
			return
		}
		if err := st.fill(maxHead); err != nil {
			return
		}
	}
}

// dialAndAnswer connects to the destination and copies its answers to the
// agent for the rest of the connection. A failed dial cuts the agent's
// connection at once, so a client waiting for a greeting is not left hanging.
func (f *flow) dialAndAnswer(ctx context.Context, dialed chan<- bool) {
	up, err := f.g.dial(ctx, f.dst)
	if err != nil {
		f.g.log.Debug("dialling destination", "dst", f.dst, "err", err)
		dialed <- false
		f.reset()
		return
	}
	f.mu.Lock()
	if f.dead {
		f.mu.Unlock()
		up.Close()
		dialed <- false
		return
	}
	f.up = up
	f.mu.Unlock()
	dialed <- true

	bp := firstReadPool.Get().(*[]byte)
	n, err := up.Read(*bp)
	if n > 0 {
		f.serverSpoke.Store(true)
		_, werr := f.client.Write((*bp)[:n])
		if err == nil {
			err = werr
		}
	}
	firstReadPool.Put(bp)
	if err == nil {
		_, err = io.Copy(f.client, up) // splice(2) between the sockets
	}
	f.finish(f.client, err)
}

// finish ends one direction: a clean end half-closes the other side, and the
// second clean end (or any error) closes both.
func (f *flow) finish(to *net.TCPConn, err error) {
	if err != nil && !errors.Is(err, io.EOF) {
		f.reset()
		return
	}
	_ = to.CloseWrite()
	if f.halves.Add(1) == 2 {
		f.close(false)
	}
}

// waitUp returns the destination connection once dialled, or nil.
func (f *flow) waitUp(dialed <-chan bool) *net.TCPConn {
	if !<-dialed {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.up
}

// pass forwards what the agent sent so far and then everything else, bound to
// name ("" for the address rule).
func (f *flow) pass(st *stream, dialed <-chan bool, name string) {
	f.bind(name)
	_ = f.client.SetReadDeadline(time.Time{})
	up := f.waitUp(dialed)
	if up == nil {
		return
	}
	if _, err := up.Write(st.pending()); err != nil {
		f.reset()
		return
	}
	st.release()
	_, err := io.Copy(up, f.client) // splice(2) between the sockets
	f.finish(up, err)
	<-f.done
}

func (f *flow) serveTLS(st *stream, dialed <-chan bool) {
	for {
		ch, _, err := readClientHello(st.pending())
		switch {
		case errors.Is(err, errIncomplete):
			if err := st.fill(maxClientHelloLen + 4*recordHeaderLen*8); err != nil {
				f.refuseTLS("", "ClientHello cut short or too long")
				return
			}
			continue
		case err != nil:
			f.refuseTLS("", "TLS ClientHello does not parse: "+err.Error())
			return
		case ch.serverName == "":
			f.refuseTLS("", "TLS without a server name (SNI)")
			return
		case !f.g.allowed(ch.serverName):
			reason := "not allowed"
			if ch.ech {
				reason = "not allowed (outer name of an encrypted ClientHello)"
			}
			f.refuseTLS(ch.serverName, reason)
			return
		}
		f.pass(st, dialed, ch.serverName)
		return
	}
}

// alertUnrecognizedName is a fatal TLS alert (unrecognized_name, RFC 6066),
// so a TLS client reports why it was cut.
var alertUnrecognizedName = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70}

func (f *flow) refuseTLS(name, reason string) {
	f.g.refusal(f.dst, name, reason)
	f.tell(alertUnrecognizedName)
}

// serveHTTP judges every request on the connection: each head is checked
// before it is forwarded, with its body; the next head is read only after.
func (f *flow) serveHTTP(st *stream, dialed <-chan bool) {
	var up *net.TCPConn
	for first := true; ; first = false {
		head, err := st.head()
		if err != nil {
			if !errors.Is(err, io.EOF) || len(st.pending()) > 0 {
				f.refuseHTTP("", "HTTP request head: "+err.Error(), first)
				return
			}
			// A clean end between requests.
			if up != nil {
				f.finish(up, nil)
				<-f.done
			}
			return
		}
		rh, err := parseRequestHead(head)
		switch {
		case errors.Is(err, errNoName):
			f.refuseHTTP("", "HTTP request without a host name", first)
			return
		case err != nil:
			f.refuseHTTP("", "HTTP request does not parse: "+err.Error(), first)
			return
		case !f.g.allowed(rh.host):
			f.refuseHTTP(rh.host, "not allowed", first)
			return
		}
		if first {
			f.bind(rh.host)
			if up = f.waitUp(dialed); up == nil {
				return
			}
		}
		_ = f.client.SetReadDeadline(time.Time{})
		if _, err := up.Write(head); err != nil {
			return
		}
		st.consume(len(head))
		if err := st.forwardBody(up, rh); err != nil {
			f.g.log.Debug("forwarding request body", "dst", f.dst, "err", err)
			return
		}
		st.shrink()
	}
}

func (f *flow) refuseHTTP(name, reason string, first bool) {
	f.g.refusal(f.dst, name, reason)
	if !first {
		return // answers to earlier requests may be on the way: cut there
	}
	what := name
	if what == "" {
		what = "this request"
	}
	body := fmt.Sprintf("warden: %s refused in restricted mode (%s)\n", what, reason)
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	f.tell(b.Bytes())
}

// tell writes the refusal to the agent and half-closes towards it.
func (f *flow) tell(msg []byte) {
	_ = f.client.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := f.client.Write(msg); err == nil {
		_ = f.client.CloseWrite()
		f.told = true
	}
}

// lingerLimit bounds what is read and dropped after a refusal, so that
// closing a socket with unread bytes does not reset the connection before
// the agent has read why.
const lingerLimit = 256 << 10

// end closes the flow when its serving goroutine returns.
func (f *flow) end() {
	if !f.told {
		f.reset()
		return
	}
	f.mu.Lock()
	up := f.up
	f.mu.Unlock()
	if up != nil {
		_ = up.SetLinger(0)
		up.Close() // nothing was forwarded on it
	}
	_ = f.client.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.CopyN(io.Discard, f.client, lingerLimit)
	f.close(false)
}

func (f *flow) bind(name string) {
	f.mu.Lock()
	f.name = name
	f.mu.Unlock()
}

func (f *flow) boundName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.name
}

// reset cuts both connections; the agent sees a reset, the destination too.
func (f *flow) reset() { f.close(true) }

func (f *flow) close(abort bool) {
	f.mu.Lock()
	if f.dead {
		f.mu.Unlock()
		return
	}
	f.dead = true
	up := f.up
	f.mu.Unlock()
	if abort {
		_ = f.client.SetLinger(0)
	}
	f.client.Close()
	if up != nil {
		if abort {
			_ = up.SetLinger(0)
		}
		up.Close()
	}
	close(f.done)
}
