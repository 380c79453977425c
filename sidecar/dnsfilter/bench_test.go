package dnsfilter

import (
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// Benchmarks run client -> filter -> upstream on loopback, many clients in
// parallel, each with one query in flight, as dnsperf does.

type nopAdder struct{}

func (nopAdder) Add(shared.Domain, []netip.Addr, uint32) (int, error) { return 0, nil }

// benchUpstream answers every A query with one address, recording nothing.
func benchUpstream(b *testing.B) string {
	b.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(b, err)
	s := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = []dns.RR{&dns.A{
			Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300},
			A:   net.IPv4(192, 0, 2, 1),
		}}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	s.NotifyStartedFunc = func() { close(started) }
	go func() { _ = s.ActivateAndServe() }()
	<-started
	b.Cleanup(func() { _ = s.Shutdown() })
	return pc.LocalAddr().String()
}

func benchFilter(b *testing.B, upstream string) string {
	b.Helper()
	cfg := testConfig(upstream)
	cfg.Timeout = 5 * time.Second // a loaded machine stalls for hundreds of milliseconds
	f, err := New(cfg, nopAdder{}, func(shared.Event) {}, nil)
	require.NoError(b, err)
	require.NoError(b, f.Start())
	b.Cleanup(func() { _ = f.Shutdown(b.Context()) })
	f.SetPolicy(shared.ModeRestricted, shared.NewMatcher([]shared.Domain{"github.com"}))
	return f.bound[0].String()
}

func runClients(b *testing.B, addr, name string, wantRcode int) {
	q := query(name, dns.TypeA)
	q.SetEdns0(1232, false)
	wire, err := q.Pack()
	require.NoError(b, err)
	runQueries(b, addr, wantRcode, func() []byte { return wire })
}

// runQueries runs clients that each send next()'s query and wait for its
// answer, until the benchmark ends.
func runQueries(b *testing.B, addr string, wantRcode int, next func() []byte) {
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("udp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		for pb.Next() {
			_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(next()); err != nil {
				b.Error(err)
				return
			}
			n, err := conn.Read(buf)
			if err != nil {
				b.Error(err)
				return
			}
			if n < headerLen || rcode(buf[:n]) != wantRcode {
				b.Errorf("unexpected reply %x", buf[:n])
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
}

func BenchmarkForwardAllowed(b *testing.B) {
	addr := benchFilter(b, benchUpstream(b))
	runClients(b, addr, "api.github.com.", dns.RcodeSuccess)
}

func BenchmarkRefused(b *testing.B) {
	addr := benchFilter(b, benchUpstream(b))
	runClients(b, addr, "api.example.com.", dns.RcodeRefused)
}

// BenchmarkUpstreamDirect is the baseline: the same clients asking the
// upstream itself, so the filter's own cost is the difference.
func BenchmarkUpstreamDirect(b *testing.B) {
	runClients(b, benchUpstream(b), "api.github.com.", dns.RcodeSuccess)
}

// BenchmarkFirstContacts asks for a new name under the allowed entry on
// every query, the audit log's worst case, with and without first contacts
// (bench/audit.sh measures the same through dnsperf).
func BenchmarkFirstContacts(b *testing.B) {
	for _, off := range []bool{false, true} {
		name := "on"
		if off {
			name = "off"
		}
		b.Run(name, func(b *testing.B) {
			upstream := benchUpstream(b)
			cfg := testConfig(upstream)
			cfg.Timeout = 5 * time.Second
			cfg.NoFirstContacts = off
			f, err := New(cfg, nopAdder{}, func(shared.Event) {}, nil)
			require.NoError(b, err)
			require.NoError(b, f.Start())
			b.Cleanup(func() { _ = f.Shutdown(b.Context()) })
			f.SetPolicy(shared.ModeRestricted, shared.NewMatcher([]shared.Domain{"github.com"}))
			runNewNames(b, f.bound[0].String())
		})
	}
}

// runNewNames is runClients with a name never asked before on each query.
func runNewNames(b *testing.B, addr string) {
	var next atomic.Int64
	runQueries(b, addr, dns.RcodeSuccess, func() []byte {
		wire, _ := query(fmt.Sprintf("q%07d.github.com.", next.Add(1)), dns.TypeA).Pack()
		return wire
	})
}
