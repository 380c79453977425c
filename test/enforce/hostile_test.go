package enforce

import (
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// asAgent runs a shell command in the agent namespace as root without
// CAP_NET_ADMIN and CAP_NET_RAW, as the agent container runs.
func (w *World) asAgent(script string) (string, error) {
	return w.Agent.Exec("capsh", "--drop=cap_net_admin,cap_net_raw", "--", "-c", script)
}

func TestPrivilegedAgentWithoutNetAdminCannotTouchRules(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")

	for _, cmd := range []string{
		"iptables -F WARDEN-OUT",
		"iptables -P OUTPUT ACCEPT",
		"iptables -I OUTPUT 1 -j ACCEPT",
		"ip6tables -F WARDEN-OUT",
		"iptables -t nat -F WARDEN-DNS",
		"ipset flush warden4",
		"ipset add warden4 203.0.113.5",
	} {
		t.Run(cmd, func(t *testing.T) {
			out, err := w.asAgent(cmd)
			require.Error(t, err, "%s succeeded: %s", cmd, out)
		})
	}
	require.Error(t, w.dialTCP(neverResolved), "rules are intact")

	for _, probe := range []string{"mark", "packet", "raw"} {
		t.Run("probe "+probe, func(t *testing.T) {
			out, err := w.asAgent(probeBin + " " + probe)
			require.NoError(t, err, out)
			var r struct {
				OK    bool
				Error string
			}
			require.NoError(t, json.Unmarshal([]byte(out), &r), out)
			require.False(t, r.OK, "%s succeeded without NET_ADMIN/NET_RAW", probe)
			require.Contains(t, r.Error, "operation not permitted")
		})
	}

	t.Run("the same probes succeed with the capabilities", func(t *testing.T) {
		// Proves the probes can tell: as full root they succeed.
		out, err := w.Agent.Exec(probeBin, "mark")
		require.NoError(t, err)
		require.True(t, strings.Contains(out, `"ok":true`), out)
	})
}

func TestPrivilegedRestartKeepsNamespaceClosed(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")

	var attempts, leaks atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			attempts.Add(1)
			if w.dialTCP(neverResolved) == nil {
				leaks.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	for i := 0; i < 2; i++ {
		time.Sleep(100 * time.Millisecond)
		w.Sidecar.Kill()
		time.Sleep(100 * time.Millisecond)
		w.Sidecar.Start()
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-done
	require.Greater(t, attempts.Load(), int64(50))
	require.Zero(t, leaks.Load(), "a denied address was reached during a restart")

	// The loop's probe does see an open namespace: the same target works in full mode.
	w.SetPolicy(shared.ModeFull)
	require.NoError(t, w.dialTCP(neverResolved))
}

// The Docker resolver's address is local to the namespace, so an agent could
// bind it and forge replies to the filter's upstream sockets. Packets from it
// that belong to no connection the sidecar opened must not be delivered.
func TestPrivilegedForgedResolverRepliesAreDropped(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "github.com")

	var target net.PacketConn
	require.NoError(t, w.Agent.Do(func() error {
		var err error
		target, err = net.ListenPacket("udp", "127.0.0.1:0")
		return err
	}))
	defer target.Close()

	send := func(from string) error {
		return w.Agent.Do(func() error {
			c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(from)), target.LocalAddr().(*net.UDPAddr))
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Write([]byte("forged"))
			return err
		})
	}
	received := func() bool {
		_ = target.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, 16)
		_, _, err := target.ReadFrom(buf)
		return err == nil
	}

	// Port 53 of 127.0.0.11 is taken by the world's stand-in resolver; the
	// rule does not depend on the port.
	require.NoError(t, send("127.0.0.12:5300"))
	require.True(t, received(), "control: a datagram from another loopback address arrives")
	_ = send("127.0.0.11:5300")
	require.False(t, received(), "a datagram forged from Docker's resolver address arrived")
}
