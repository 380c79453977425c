package firewall

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/nfqueue"
	"github.com/warden-sh/warden/test/nstest"
)

// world is an agent namespace wired by a veth pair to a "net" namespace
// holding a server (.2 / ::2) and the host gateway (.3 / ::3).
type world struct {
	agent, net *nstest.NS
}

var (
	agentV4   = "192.0.2.1"
	serverV4  = "192.0.2.2"
	gatewayV4 = "192.0.2.3"
	agentV6   = "2001:db8::1"
	serverV6  = "2001:db8::2"
	gatewayV6 = "2001:db8::3"
)

func newWorld(t *testing.T) world {
	t.Helper()
	w := world{agent: nstest.New(t, "wfwa"), net: nstest.New(t, "wfwn")}
	w.agent.MustExec(t, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0", "netns", w.net.Name)
	w.agent.MustExec(t, "ip", "addr", "add", agentV4+"/24", "dev", "eth0")
	w.agent.MustExec(t, "ip", "addr", "add", agentV6+"/64", "dev", "eth0", "nodad")
	w.agent.MustExec(t, "ip", "link", "set", "eth0", "up")
	for _, a := range []string{serverV4 + "/24", gatewayV4 + "/24"} {
		w.net.MustExec(t, "ip", "addr", "add", a, "dev", "peer0")
	}
	for _, a := range []string{serverV6 + "/64", gatewayV6 + "/64"} {
		w.net.MustExec(t, "ip", "addr", "add", a, "dev", "peer0", "nodad")
	}
	w.net.MustExec(t, "ip", "link", "set", "peer0", "up")
	w.agent.MustExec(t, "ip", "route", "add", "default", "via", gatewayV4)
	w.agent.MustExec(t, "ip", "-6", "route", "add", "default", "via", gatewayV6)
	// A link that has just come up drops packets until the kernel activates
	// its queue, so wait for traffic to flow before testing rules.
	for _, addr := range []string{serverV4, serverV6} {
		probe := net.JoinHostPort(addr, "7")
		listen(t, w.net, probe)
		require.Eventually(t, func() bool { return dial(t, w.agent, "", probe) == "ok" },
			5*time.Second, 10*time.Millisecond, "no traffic to %s", addr)
	}
	return w
}

// listen starts a TCP server inside ns that accepts and closes connections.
func listen(t *testing.T, ns *nstest.NS, addr string) {
	t.Helper()
	var l net.Listener
	require.NoError(t, ns.Do(func() (err error) { l, err = net.Listen("tcp", addr); return err }))
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// dial reports "ok", "refused" or "timeout" for a TCP connection from ns.
func dial(t *testing.T, ns *nstest.NS, local, remote string) string {
	t.Helper()
	var result string
	require.NoError(t, ns.Do(func() error {
		d := net.Dialer{Timeout: 300 * time.Millisecond}
		if local != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
		}
		c, err := d.Dial("tcp", remote)
		switch {
		case err == nil:
			c.Close()
			result = "ok"
		case errors.Is(err, syscall.ECONNREFUSED):
			result = "refused"
		case errors.Is(err, unix.ETIMEDOUT) || strings.Contains(err.Error(), "timeout"):
			result = "timeout"
		default:
			result = err.Error()
		}
		return nil
	}))
	return result
}

// udpListen starts a UDP receiver inside ns and returns what it receives.
func udpListen(t *testing.T, ns *nstest.NS, addr string) <-chan string {
	t.Helper()
	var c net.PacketConn
	require.NoError(t, ns.Do(func() (err error) { c, err = net.ListenPacket("udp", addr); return err }))
	t.Cleanup(func() { c.Close() })
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 512)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	return got
}

// udpSend sends one datagram from ns, with the sidecar's mark when mark != 0.
// A packet the rules reject fails the send itself (EPERM).
func udpSend(ns *nstest.NS, remote, payload string, mark uint32) error {
	return ns.Do(func() error {
		d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if mark != 0 {
					serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(mark))
				}
			})
			return errors.Join(err, serr)
		}}
		c, err := d.Dial("udp", remote)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte(payload))
		return err
	})
}

func received(ch <-chan string, want string) bool {
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case got := <-ch:
			if got == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestPrivilegedEnforcement sends real traffic through every mode, switching
// the fast way, and checks what gets through.
func TestPrivilegedEnforcement(t *testing.T) {
	nstest.RequireRoot(t)
	w := newWorld(t)
	for _, a := range []string{serverV4, gatewayV4, serverV6, gatewayV6} {
		listen(t, w.net, net.JoinHostPort(a, "8080"))
	}
	listen(t, w.agent, ":9090")

	cfg := DefaultConfig()
	cfg.HostGateways = []netip.Addr{netip.MustParseAddr(gatewayV4), netip.MustParseAddr(gatewayV6)}
	cfg.DNSPort = 5353
	f, _ := newNSFirewall(t, w.agent, cfg)

	out := func(addr string) string { return dial(t, w.agent, "", net.JoinHostPort(addr, "8080")) }
	in := func(from string) string { return dial(t, w.net, from, net.JoinHostPort(agentV4, "9090")) }
	apply := func(mode shared.Mode) {
		t.Helper()
		require.NoError(t, f.Apply(mode))
		// Forget neighbours so IPv6 has to run neighbour discovery again
		// through the rules of this mode.
		w.agent.MustExec(t, "ip", "neigh", "flush", "all")
		w.net.MustExec(t, "ip", "neigh", "flush", "all")
	}

	apply(shared.ModeFull)
	require.Equal(t, "ok", out(serverV4))
	require.Equal(t, "ok", out(serverV6))
	require.Equal(t, "ok", in(gatewayV4), "the host reaches the agent's servers")
	require.Equal(t, "timeout", in(serverV4), "other machines do not, even in full mode")

	apply(shared.ModeNone)
	require.Equal(t, "refused", out(serverV4))
	require.Equal(t, "refused", out(serverV6))
	require.Positive(t, nflogCount(t, w.agent, IPv4, chainOutNone), "the rejected connection was logged")
	require.Positive(t, nflogCount(t, w.agent, IPv6, chainOutNone))
	require.Equal(t, "ok", out(gatewayV4))
	require.Equal(t, "ok", out(gatewayV6), "neighbour discovery passes")
	require.Equal(t, "ok", in(gatewayV4))
	require.Equal(t, "timeout", in(serverV4))

	apply(shared.ModeRestricted)
	require.Equal(t, "refused", out(serverV4))
	w.agent.MustExec(t, "ipset", "add", cfg.SetV4, serverV4, "timeout", "60")
	w.agent.MustExec(t, "ipset", "add", cfg.SetV6, serverV6, "timeout", "60")
	// TCP to a set member goes to the name check's queue; its verdict,
	// a mark, decides. Here a stand-in check marks every packet alike.
	judge := func(mark uint32) (stop func()) {
		var q *nfqueue.Queue
		require.NoError(t, w.agent.Do(func() (err error) {
			q, err = nfqueue.Open(cfg.EgressQueue, 64, nil)
			return err
		}))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = q.Run(context.Background(), markEvery{mark})
		}()
		return func() {
			q.Close()
			<-done
		}
	}
	stop := judge(cfg.EgressMarks.Refused)
	require.Equal(t, "refused", out(serverV4), "a connection the check refuses is reset")
	require.Equal(t, "refused", out(serverV6))
	stop()
	stop = judge(cfg.EgressMarks.Passed)
	require.Equal(t, "ok", out(serverV4), "a set member is reached once the check passes the connection")
	require.Equal(t, "ok", out(serverV6))
	stop()
	require.Equal(t, "ok", out(gatewayV4))

	t.Run("udp to a set member is refused", func(t *testing.T) {
		server := udpListen(t, w.net, net.JoinHostPort(serverV4, "8081"))
		require.ErrorIs(t, udpSend(w.agent, net.JoinHostPort(serverV4, "8081"), "agent datagram", 0), syscall.EPERM)
		require.NoError(t, udpSend(w.agent, net.JoinHostPort(serverV4, "8081"), "sidecar datagram", cfg.Mark))
		require.True(t, received(server, "sidecar datagram"), "marked datagrams still leave")
		server6 := udpListen(t, w.net, net.JoinHostPort(serverV6, "8081"))
		require.ErrorIs(t, udpSend(w.agent, net.JoinHostPort(serverV6, "8081"), "agent datagram", 0), syscall.EPERM)
		require.NoError(t, udpSend(w.agent, net.JoinHostPort(serverV6, "8081"), "sidecar datagram", cfg.Mark))
		require.True(t, received(server6, "sidecar datagram"))
	})

	t.Run("dns goes to the filter unless marked", func(t *testing.T) {
		filter4 := udpListen(t, w.agent, "127.0.0.1:5353")
		filter6 := udpListen(t, w.agent, "[::1]:5353")
		upstream := udpListen(t, w.net, net.JoinHostPort(serverV4, "53"))
		require.NoError(t, udpSend(w.agent, net.JoinHostPort("198.51.100.7", "53"), "agent query", 0))
		require.True(t, received(filter4, "agent query"), "redirected to the local filter")
		require.NoError(t, udpSend(w.agent, net.JoinHostPort("2001:db8:1::53", "53"), "agent query v6", 0))
		require.True(t, received(filter6, "agent query v6"))
		require.NoError(t, udpSend(w.agent, net.JoinHostPort(serverV4, "53"), "sidecar query", cfg.Mark))
		require.True(t, received(upstream, "sidecar query"), "marked upstream query leaves untouched")
	})

	t.Run("docker resolver only for marked sockets", func(t *testing.T) {
		resolver := udpListen(t, w.agent, "127.0.0.11:5300")
		require.ErrorIs(t, udpSend(w.agent, "127.0.0.11:5300", "agent", 0), syscall.EPERM)
		require.False(t, received(resolver, "agent"))
		require.NoError(t, udpSend(w.agent, "127.0.0.11:5300", "sidecar", cfg.Mark))
		require.True(t, received(resolver, "sidecar"))
	})

	apply(shared.ModeNone)
	require.Equal(t, "refused", out(serverV4), "set members do not count in none mode")
	require.Equal(t, "refused", out(serverV6))

	apply(shared.ModeFull)
	require.Equal(t, "ok", out("192.0.2.2"))

	require.NoError(t, f.compactNow())
	require.Equal(t, "ok", out(serverV4))
}

// nflogCount reads how many packets a chain's rate-limited NFLOG rule passed
// to the log.
func nflogCount(t *testing.T, ns *nstest.NS, fam Family, chain string) int {
	t.Helper()
	for _, l := range splitLines(ns.MustExec(t, toolName(fam), "-L", chain, "-v", "-x", "-n")) {
		if f := strings.Fields(l); len(f) > 2 && f[2] == "NFLOG" {
			n, err := strconv.Atoi(f[0])
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no NFLOG rule in %s", chain)
	return 0
}

// markEvery is a stand-in name check: it sends every packet through the
// rules again with one mark.
type markEvery struct{ mark uint32 }

func (m markEvery) Packet(p nfqueue.Packet, out *nfqueue.Batch) {
	out.Set(p.ID, nfqueue.Verdict{Action: nfqueue.Repeat, Mark: m.mark, SetMark: true})
}

func (markEvery) Tick(time.Time, *nfqueue.Batch) {}
