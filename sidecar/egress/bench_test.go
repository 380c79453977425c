package egress

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// BenchmarkGateTLSConnection is one short connection through the check:
// connect, ClientHello, one answer byte, close.
func BenchmarkGateTLSConnection(b *testing.B) {
	dst := serveLoopback(b, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		_, _ = c.Write([]byte{1})
		_, _ = io.Copy(io.Discard, c)
	})
	g := newTestGate(b, dst, "a.example.net")
	hello := clientHelloOf(b, &tls.Config{ServerName: "a.example.net"})
	one := make([]byte, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, err := net.Dial("tcp", g.addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(hello); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, one); err != nil {
			b.Fatal(err)
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}
}
