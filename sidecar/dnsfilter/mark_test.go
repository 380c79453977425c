package dnsfilter

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/nstest"
)

const testMark = 0x5744

// socketMark reads SO_MARK back from a socket.
func socketMark(t *testing.T, c syscall.Conn) uint32 {
	t.Helper()
	raw, err := c.SyscallConn()
	require.NoError(t, err)
	var (
		mark int
		gerr error
	)
	require.NoError(t, raw.Control(func(fd uintptr) {
		mark, gerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK)
	}))
	require.NoError(t, gerr)
	return uint32(mark)
}

// Every socket the filter opens towards an upstream carries the mark, set
// before connecting.
func TestPrivilegedUpstreamSocketsCarryMark(t *testing.T) {
	nstest.RequireRoot(t)
	up := newUpstream(t, testZone(t))
	cfg := testConfig(up.addr)
	cfg.Mark = testMark
	f, err := New(cfg, &fakeAdder{}, nil, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Shutdown(t.Context()) })

	require.NotEmpty(t, f.fwd.pools[0])
	for _, c := range f.fwd.pools[0] {
		require.Equal(t, uint32(testMark), socketMark(t, c.conn))
	}
	conn, err := f.fwd.dialer.DialContext(t.Context(), "tcp", up.addr)
	require.NoError(t, err)
	defer conn.Close()
	require.Equal(t, uint32(testMark), socketMark(t, conn.(syscall.Conn)))
}

// In a namespace of its own, an iptables counter matching the mark sees the
// filter's upstream queries over UDP and TCP, and the counter for unmarked
// packets to the upstream sees only the test's own unmarked probe.
func TestPrivilegedUpstreamQueriesMarkedInNamespace(t *testing.T) {
	ns := nstest.New(t, "wdns")
	var (
		up *fakeUpstream
		s  *started
	)
	require.NoError(t, ns.Do(func() error {
		up = newUpstream(t, testZone(t))
		cfg := testConfig(up.addr)
		cfg.Mark = testMark
		s = startFilter(t, cfg, shared.ModeRestricted, "github.com")
		return nil
	}))
	_, port, err := net.SplitHostPort(up.addr)
	require.NoError(t, err)
	for _, proto := range []string{"udp", "tcp"} {
		ns.MustExec(t, "iptables", "-A", "OUTPUT", "-p", proto, "--dport", port, "-m", "mark", "--mark", fmt.Sprint(testMark), "-j", "ACCEPT")
		ns.MustExec(t, "iptables", "-A", "OUTPUT", "-p", proto, "--dport", port, "-j", "ACCEPT")
	}

	require.NoError(t, ns.Do(func() error {
		// A UDP client's query goes out on a pooled socket.
		r := exchange(t, s.addr, "udp", query("api.github.com.", dns.TypeA))
		require.Equal(t, dns.RcodeSuccess, r.Rcode)
		// A TCP connection is dialled by the goroutine serving the query, and
		// only this locked goroutine is inside the namespace, so the TCP path
		// is driven here directly.
		q, err := packQuery("github.com.", dns.TypeA, dns.ClassINET, queryOpts{rd: true})
		require.NoError(t, err)
		_, err = s.f.fwd.exchange(t.Context(), q, true)
		require.NoError(t, err)
		// An unmarked probe proves the rules tell the two apart.
		c := dns.Client{Net: "udp", Timeout: 2 * time.Second}
		_, _, err = c.Exchange(query("github.com.", dns.TypeA), up.addr)
		return err
	}))
	require.Len(t, s.adder.Calls(), 1)

	out := ns.MustExec(t, "iptables", "-w", "-nvx", "-L", "OUTPUT")
	counts := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.Contains(line, "dpt:"+port) {
			continue
		}
		n, err := strconv.Atoi(f[0])
		require.NoError(t, err, line)
		key := "udp"
		if strings.Contains(line, "tcp dpt:") {
			key = "tcp"
		}
		if strings.Contains(line, "mark match") {
			key += " marked"
		} else {
			key += " any"
		}
		counts[key] = n
	}
	t.Logf("iptables:\n%s", out)
	require.Equal(t, 1, counts["udp marked"], "one marked UDP query")
	require.Equal(t, 1, counts["udp any"], "the unmarked probe only")
	require.Positive(t, counts["tcp marked"], "the TCP query was marked")
	require.Zero(t, counts["tcp any"], "no unmarked TCP packet")
}

// A namespace without IPv6 on loopback still gets a working filter on IPv4.
func TestPrivilegedStartWithoutIPv6(t *testing.T) {
	ns := nstest.New(t, "wdns")
	ns.MustExec(t, "sysctl", "-w", "net.ipv6.conf.all.disable_ipv6=1")
	ns.MustExec(t, "sysctl", "-w", "net.ipv6.conf.lo.disable_ipv6=1")
	require.NoError(t, ns.Do(func() error {
		up := newUpstream(t, testZone(t))
		cfg := testConfig(up.addr)
		cfg.Listen = []string{"127.0.0.1:0", "[::1]:0"}
		s := startFilter(t, cfg, shared.ModeRestricted, "github.com")
		require.Len(t, s.f.bound, 1)
		r := exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
		require.Equal(t, dns.RcodeSuccess, r.Rcode)
		return nil
	}))
}
