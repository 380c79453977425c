package egress

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/stretchr/testify/require"
	"github.com/ti-mo/conntrack"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/nfqueue"
)

// conn is an agent connection seen from the queue: it makes the packets the
// agent's kernel would send and hands them to the check one at a time.
type conn struct {
	t      testing.TB
	c      *Check
	events *[]shared.Event
	src    netip.AddrPort
	dst    netip.AddrPort
	isn    uint32
	next   uint32
	id     uint32
}

var (
	agent4 = netip.MustParseAddr("198.51.100.2")
	cdn4   = netip.MustParseAddr("192.0.2.70")
	agent6 = netip.MustParseAddr("2001:db8:100::2")
	cdn6   = netip.MustParseAddr("2001:db8:1::70")
)

func newTestCheck(t testing.TB, allowed ...string) (*Check, *[]shared.Event) {
	t.Helper()
	var events []shared.Event
	record := func(e shared.Event) { events = append(events, e) }
	c, err := New(DefaultConfig(), record, record, nil)
	require.NoError(t, err)
	domains, err := shared.ParseDomains(allowed)
	require.NoError(t, err)
	c.SetPolicy(shared.NewMatcher(domains))
	return c, &events
}

// nextPort gives each test connection a port of its own.
var nextPort uint16 = 40000

// open sends the SYN and the handshake's last ACK.
func open(t testing.TB, c *Check, events *[]shared.Event, src, dst netip.Addr, port uint16) *conn {
	t.Helper()
	nextPort++
	k := &conn{t: t, c: c, events: events, src: netip.AddrPortFrom(src, nextPort), dst: netip.AddrPortFrom(dst, port), isn: 1000}
	k.id = 100
	require.Equal(t, []rv{{0, accept}}, k.send(k.isn, layersSYN, nil))
	k.next = k.isn + 1
	require.Equal(t, []rv{{0, accept}}, k.send(k.next, layersACK, nil))
	return k
}

type flags int

const (
	layersSYN flags = 1 << iota
	layersACK
	layersPSH
	layersRST
	layersURG
)

var (
	accept = nfqueue.Verdict{Action: nfqueue.Accept}
	drop   = nfqueue.Verdict{Action: nfqueue.Drop}
	passed = nfqueue.Verdict{Action: nfqueue.Repeat, Mark: DefaultConfig().Marks.Passed, SetMark: true}
	refuse = nfqueue.Verdict{Action: nfqueue.Repeat, Mark: DefaultConfig().Marks.Refused, SetMark: true}
)

// send hands one segment to the check and returns the verdicts it gave.
func (k *conn) send(seq uint32, f flags, payload []byte) []rv {
	k.t.Helper()
	k.id++
	tcp := &layers.TCP{SrcPort: layers.TCPPort(k.src.Port()), DstPort: layers.TCPPort(k.dst.Port()), Seq: seq,
		SYN: f&layersSYN != 0, ACK: f&layersACK != 0, PSH: f&layersPSH != 0, RST: f&layersRST != 0, URG: f&layersURG != 0,
		Window: 65535, DataOffset: 8, Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)}}}
	var ip gopacket.NetworkLayer
	if k.src.Addr().Is4() {
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: k.src.Addr().AsSlice(), DstIP: k.dst.Addr().AsSlice(), Flags: layers.IPv4DontFragment}
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: k.src.Addr().AsSlice(), DstIP: k.dst.Addr().AsSlice()}
	}
	require.NoError(k.t, tcp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	require.NoError(k.t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(payload)))
	out := nfqueue.NewBatch(5744)
	k.c.Packet(nfqueue.Packet{ID: k.id, Data: buf.Bytes()}, out)
	return relative(out.Verdicts(), k.id)
}

// rv is a verdict on the packet Rel packets before the one just sent (0:
// that one, -1: the one before).
type rv struct {
	Rel int
	V   nfqueue.Verdict
}

func relative(vs []nfqueue.IDVerdict, last uint32) []rv {
	var out []rv
	for _, v := range vs {
		out = append(out, rv{int(v.ID) - int(last), v.Verdict})
	}
	return out
}

// data sends the next bytes of the stream.
func (k *conn) data(b []byte) []rv {
	k.t.Helper()
	v := k.send(k.next, layersACK|layersPSH, b)
	k.next += uint32(len(b))
	return v
}

func (k *conn) lastEvent() shared.Event {
	k.t.Helper()
	require.NotEmpty(k.t, *k.events)
	e := (*k.events)[len(*k.events)-1]
	e.Time = time.Time{}
	return e
}

func TestCheckTLS(t *testing.T) {
	c, events := newTestCheck(t, "a.example.net", "example.org", "!gist.example.org")
	for _, fam := range []struct{ src, dst netip.Addr }{{agent4, cdn4}, {agent6, cdn6}} {
		t.Run("allowed name passes "+fam.dst.String(), func(t *testing.T) {
			k := open(t, c, events, fam.src, fam.dst, 443)
			hello := clientHelloOf(t, &tls.Config{ServerName: "a.example.net"})
			require.Equal(t, []rv{{0, passed}}, k.data(hello))
			name, bound := c.Bound(flowOf(k))
			require.True(t, bound)
			require.Equal(t, "a.example.net", name)
			require.Equal(t, shared.Event{Kind: shared.EventConnAllowed, Name: "a.example.net", Address: fam.dst.String(), Port: 443, Protocol: "tcp"}, k.lastEvent(),
				"a connection let through is a contact for the audit log")
		})
		t.Run("another name on the same address is refused "+fam.dst.String(), func(t *testing.T) {
			k := open(t, c, events, fam.src, fam.dst, 443)
			require.Equal(t, []rv{{0, refuse}}, k.data(clientHelloOf(t, &tls.Config{ServerName: "b.example.net"})))
			require.Equal(t, shared.Event{Kind: shared.EventNameRefused, Name: "b.example.net", Address: fam.dst.String(), Port: 443, Protocol: "tcp", Reason: "not allowed"}, k.lastEvent())
			_, bound := c.Bound(flowOf(k))
			require.False(t, bound)
		})
	}
	t.Run("no SNI is refused", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, refuse}}, k.data(clientHelloOf(t, &tls.Config{InsecureSkipVerify: true})))
		require.Equal(t, "TLS without a server name (SNI)", k.lastEvent().Reason)
	})
	t.Run("a deny entry beats its parent", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, refuse}}, k.data(clientHelloOf(t, &tls.Config{ServerName: "api.gist.example.org"})))
		k = open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, passed}}, k.data(clientHelloOf(t, &tls.Config{ServerName: "www.example.org"})))
	})
	t.Run("a ClientHello in two segments is held until whole", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		hello := clientHelloOf(t, &tls.Config{ServerName: "a.example.net"})
		require.Empty(t, k.data(hello[:100]), "held: no verdict yet")
		require.Equal(t, []rv{{-1, passed}, {0, accept}}, k.data(hello[100:]))
	})
	t.Run("garbage that starts like TLS is refused", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, refuse}}, k.data([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0, 0, 1, 0}))
	})
	t.Run("a live edit judges the next connection", func(t *testing.T) {
		c2, events2 := newTestCheck(t, "a.example.net")
		k := open(t, c2, events2, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, passed}}, k.data(clientHelloOf(t, &tls.Config{ServerName: "a.example.net"})))
		c2.SetPolicy(shared.NewMatcher(nil))
		k2 := open(t, c2, events2, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, refuse}}, k2.data(clientHelloOf(t, &tls.Config{ServerName: "a.example.net"})))
		name, bound := c2.Bound(flowOf(k))
		require.True(t, bound, "the connection let through before stays bound (Cut decides on it)")
		require.Equal(t, "a.example.net", name)
	})
}

func TestCheckHTTP(t *testing.T) {
	c, events := newTestCheck(t, "a.example.net")
	get := func(host string) []byte { return fmt.Appendf(nil, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host) }

	t.Run("every request's Host is judged", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 80)
		require.Equal(t, []rv{{0, accept}}, k.data(get("a.example.net")))
		require.Equal(t, []rv{{0, accept}}, k.data(get("A.example.net:80")))
		require.Equal(t, []rv{{0, refuse}}, k.data(get("b.example.org")))
		require.Equal(t, "b.example.org", k.lastEvent().Name)
	})
	t.Run("a body that looks like a request is a body", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 80)
		smuggled := string(get("exfil.attacker.test"))
		post := fmt.Appendf(nil, "POST / HTTP/1.1\r\nHost: a.example.net\r\nContent-Length: %d\r\n\r\n", len(smuggled))
		require.Equal(t, []rv{{0, accept}}, k.data(post))
		require.Equal(t, []rv{{0, accept}}, k.data([]byte(smuggled)), "body bytes go")
		require.Equal(t, []rv{{0, refuse}}, k.data(get("exfil.attacker.test")), "the next real head is judged")
	})
	t.Run("chunked bodies are framed exactly", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 80)
		head := []byte("POST / HTTP/1.1\r\nHost: a.example.net\r\nTransfer-Encoding: chunked\r\n\r\n")
		body := "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
		require.Equal(t, []rv{{0, accept}}, k.data(head))
		require.Equal(t, []rv{{0, accept}}, k.data([]byte(body)))
		require.Equal(t, []rv{{0, refuse}}, k.data(get("b.example.org")))
	})
	t.Run("a head is held until whole; a body goes as it comes", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 80)
		head := []byte("POST / HTTP/1.1\r\nHost: a.example.net\r\nContent-Length: 10\r\n\r\n01234")
		require.Empty(t, k.data(head[:20]))
		require.Equal(t, []rv{{-1, accept}, {0, accept}}, k.data(head[20:]))
		// The rest of the body and the start of the next head share a
		// packet: it waits for the head.
		require.Empty(t, k.data([]byte("56789GET / HTTP/1.1\r\nHo")))
		require.Equal(t, []rv{{-1, refuse}, {0, drop}}, k.data([]byte("st: b.example.org\r\n\r\n")))
	})
	for _, tt := range []struct{ name, req, reason string }{
		{"no Host", "GET / HTTP/1.0\r\n\r\n", "HTTP request without a host name"},
		{"an address as Host", "GET / HTTP/1.1\r\nHost: 192.0.2.70\r\n\r\n", "HTTP request without a host name"},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a.example.net\r\nHost: b.example.org\r\n\r\n", "HTTP request does not parse: two Host headers"},
		{"bare LF", "GET / HTTP/1.1\nHost: a.example.net\n\n", "HTTP request head: bare LF in the head"},
		{"CONNECT", "CONNECT b.example.org:443 HTTP/1.1\r\nHost: a.example.net\r\n\r\n", "HTTP request does not parse: CONNECT opens a tunnel the check cannot follow"},
	} {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			k := open(t, c, events, agent4, cdn4, 80)
			require.Equal(t, []rv{{0, refuse}}, k.data([]byte(tt.req)))
			require.Equal(t, tt.reason, k.lastEvent().Reason)
		})
	}
}

func TestCheckOtherProtocolsKeepTheAddressRule(t *testing.T) {
	c, events := newTestCheck(t)
	k := open(t, c, events, agent4, cdn4, 22)
	require.Equal(t, []rv{{0, passed}}, k.data([]byte("SSH-2.0-client\r\n")))
	name, bound := c.Bound(flowOf(k))
	require.True(t, bound)
	require.Empty(t, name)
}

// TestCheckStream covers how the agent's kernel sends a stream: again after
// a loss, in overlapping pieces, with the odd flag.
func TestCheckStream(t *testing.T) {
	c, events := newTestCheck(t, "a.example.net")
	hello := clientHelloOf(t, &tls.Config{ServerName: "a.example.net"})

	t.Run("bytes held are not let by a second copy", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Empty(t, k.data(hello[:50]))
		require.Equal(t, []rv{{0, drop}}, k.send(k.isn+1, layersACK, hello[:50]), "the first copy is still held")
	})
	t.Run("a gap waits for the kernel to send in order", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, drop}}, k.send(k.next+10, layersACK, hello[10:]))
		require.Equal(t, []rv{{0, passed}}, k.data(hello))
	})
	t.Run("a copy that differs from what was taken is refused", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Empty(t, k.data(hello[:50]))
		other := clientHelloOf(t, &tls.Config{ServerName: "b.example.org"})
		require.Equal(t, []rv{{-1, refuse}, {0, drop}}, k.send(k.isn+1, layersACK, other))
		require.Equal(t, "data sent again differs", k.lastEvent().Reason)
	})
	t.Run("data on the SYN is refused", func(t *testing.T) {
		k := &conn{t: t, c: c, events: events, src: netip.AddrPortFrom(agent4, 39002), dst: netip.AddrPortFrom(cdn4, 443), id: 1}
		require.Equal(t, []rv{{0, refuse}}, k.send(5, layersSYN, hello))
	})
	t.Run("a connection the check did not see open is reset", func(t *testing.T) {
		k := &conn{t: t, c: c, events: events, src: netip.AddrPortFrom(agent4, 39003), dst: netip.AddrPortFrom(cdn4, 443), id: 1, next: 77}
		require.Equal(t, []rv{{0, refuse}}, k.data(hello))
	})
	t.Run("urgent data is refused", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		require.Equal(t, []rv{{0, refuse}}, k.send(k.next, layersACK|layersURG, hello))
	})
	t.Run("a stalled ClientHello is refused after the head timeout", func(t *testing.T) {
		c, events := newTestCheck(t, "a.example.net")
		k := open(t, c, events, agent4, cdn4, 443)
		require.Empty(t, k.data(hello[:50]))
		held := k.id
		out := nfqueue.NewBatch(5744)
		c.Tick(time.Now(), out)
		require.Empty(t, out.Verdicts(), "not yet")
		c.Tick(time.Now().Add(DefaultConfig().HeadTimeout+time.Second), out)
		require.Equal(t, []rv{{0, refuse}}, relative(out.Verdicts(), held))
	})
	t.Run("a reset forgets the connection", func(t *testing.T) {
		k := open(t, c, events, agent4, cdn4, 443)
		open := c.Counters().Open
		require.Equal(t, []rv{{0, accept}}, k.send(k.next, layersRST|layersACK, nil))
		require.Equal(t, open-1, c.Counters().Open)
	})
}

// flowOf is the conntrack flow of k, as a dump shows it.
func flowOf(k *conn) conntrack.Flow {
	var f conntrack.Flow
	f.TupleOrig.IP.SourceAddress, f.TupleOrig.IP.DestinationAddress = k.src.Addr(), k.dst.Addr()
	f.TupleOrig.Proto.Protocol = 6
	f.TupleOrig.Proto.SourcePort, f.TupleOrig.Proto.DestinationPort = k.src.Port(), k.dst.Port()
	return f
}

func TestCheckPrune(t *testing.T) {
	c, events := newTestCheck(t, "a.example.net")
	closed := open(t, c, events, agent4, cdn4, 80)
	require.Equal(t, []rv{{0, accept}}, closed.data([]byte("GET / HTTP/1.1\r\nHost: a.example.net\r\n\r\n")))
	kept := open(t, c, events, agent4, cdn4, 80)
	require.Equal(t, uint64(2+1), c.Counters().Open, "two being inspected, one of them bound to its first Host")

	later := time.Now().Add(pruneGrace + time.Minute)
	c.Prune([]conntrack.Flow{flowOf(kept)}, later)
	c.Tick(later, nfqueue.NewBatch(5744))
	require.Equal(t, uint64(1+0), c.Counters().Open, "only the connection still in the table is held")
	_, bound := c.Bound(flowOf(closed))
	require.False(t, bound)
	require.Equal(t, []rv{{0, refuse}}, closed.data([]byte("GET / HTTP/1.1\r\nHost: a.example.net\r\n\r\n")),
		"a packet of a forgotten connection is refused")

	fresh := open(t, c, events, agent4, cdn4, 80)
	c.Prune(nil, time.Now())
	c.Tick(time.Now(), nfqueue.NewBatch(5744))
	require.Equal(t, []rv{{0, accept}}, fresh.data([]byte("GET / HTTP/1.1\r\nHost: a.example.net\r\n\r\n")),
		"a connection opened just before the dump is kept")
}
