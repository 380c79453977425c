package egress

import (
	"crypto/tls"
	"testing"
)

// BenchmarkCheckTLSConnection is the check's work for one short TLS
// connection: SYN, handshake ACK, ClientHello, a verdict on each.
func BenchmarkCheckTLSConnection(b *testing.B) {
	c, events := newTestCheck(b, "a.example.net")
	hello := clientHelloOf(b, &tls.Config{ServerName: "a.example.net"})
	b.ReportAllocs()
	for b.Loop() {
		k := open(b, c, events, agent4, cdn4, 443)
		if v := k.data(hello); len(v) != 1 || v[0].V != passed {
			b.Fatalf("verdicts %v", v)
		}
	}
}
