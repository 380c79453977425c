package enforce

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
)

// TestPrivilegedNameBinding is the shared-address attack: cdn-a.example.net
// is allowed, and its address also serves cdn-b.example.org and
// exfil.attacker.test, as a CDN's addresses serve every customer. The agent
// tries to reach the other names through the allowed address.
func TestPrivilegedNameBinding(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "cdn-a.example.net")
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		_, err := w.lookup("cdn-a.example.net", qtype)
		require.NoError(t, err, "resolving the allowed name puts its address in the set")
	}

	t.Run("with the check switched off the address lets any name through", func(t *testing.T) {
		// The address rule alone: TCP to set members accepted, nothing queued.
		for _, fam := range []struct{ tool, set, addr string }{{"iptables", "warden4", cdn4}, {"ip6tables", "warden6", cdn6}} {
			w.Agent.MustExec(t, fam.tool, "-I", "WARDEN-OUT-RESTRICTED", "1", "-p", "tcp", "-m", "set", "--match-set", fam.set, "dst", "-j", "ACCEPT")
		}
		body, err := w.tlsGet(cdn4, "cdn-b.example.org")
		require.NoError(t, err)
		require.Equal(t, "hello cdn-b.example.org\n", body, "the attack works on the address rule alone")
		status, body, err := w.httpGet(cdn6, "exfil.attacker.test")
		require.NoError(t, err)
		require.Equal(t, 200, status)
		require.Equal(t, "hello exfil.attacker.test\n", body)
		for _, tool := range []string{"iptables", "ip6tables"} {
			w.Agent.MustExec(t, tool, "-D", "WARDEN-OUT-RESTRICTED", "1")
		}
	})

	for _, addr := range []string{cdn4, cdn6} {
		t.Run("allowed SNI passes "+addr, func(t *testing.T) {
			body, err := w.tlsGet(addr, "cdn-a.example.net")
			require.NoError(t, err)
			require.Equal(t, "hello cdn-a.example.net\n", body)
		})

		t.Run("another SNI is refused before the server hears a byte "+addr, func(t *testing.T) {
			before := len(w.CDN.Hellos())
			_, err := w.tlsGet(addr, "cdn-b.example.org")
			require.ErrorIs(t, err, syscall.ECONNRESET, "the connection is reset")
			require.NotContains(t, w.CDN.Hellos()[before:], "cdn-b.example.org", "no ClientHello reached the server")
			w.requireEvent(shared.Event{Kind: shared.EventNameRefused, Name: "cdn-b.example.org", Address: addr, Port: 443, Protocol: "tcp", Reason: "not allowed"})
		})

		t.Run("TLS without SNI is refused "+addr, func(t *testing.T) {
			before := len(w.CDN.Hellos())
			_, err := w.tlsGet(addr, "")
			require.ErrorIs(t, err, syscall.ECONNRESET, "the connection is reset")
			require.NotContains(t, w.CDN.Hellos()[before:], "")
		})

		t.Run("HTTP Host of another name is refused "+addr, func(t *testing.T) {
			before := len(w.CDN.Requests())
			for _, host := range []string{"cdn-b.example.org", "exfil.attacker.test", "cdn-b.example.org:80", addr} {
				_, _, err := w.httpGet(addr, host)
				require.ErrorIs(t, err, syscall.ECONNRESET, host)
			}
			require.Empty(t, w.CDN.Requests()[before:], "no request reached the server")
			status, body, err := w.httpGet(addr, "CDN-A.example.net")
			require.NoError(t, err)
			require.Equal(t, 200, status)
			require.Equal(t, "hello CDN-A.example.net\n", body)
		})
	}

	t.Run("a kept-alive second request naming another host is cut there", func(t *testing.T) {
		served := len(w.CDN.Requests())
		c := w.dialAgent(net.JoinHostPort(cdn4, "80"))
		defer c.Close()
		r := bufio.NewReader(c)
		fmt.Fprintf(c, "GET /1 HTTP/1.1\r\nHost: cdn-a.example.net\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// A body that looks like a request is a body, not a request.
		smuggled := "GET / HTTP/1.1\r\nHost: exfil.attacker.test\r\n\r\n"
		fmt.Fprintf(c, "POST /2 HTTP/1.1\r\nHost: cdn-a.example.net\r\nContent-Length: %d\r\n\r\n%s", len(smuggled), smuggled)
		resp, err = http.ReadResponse(r, nil)
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Fprintf(c, "GET /3 HTTP/1.1\r\nHost: cdn-b.example.org\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = r.ReadByte()
		require.Error(t, err, "the connection is cut")
		require.Len(t, w.CDN.Requests()[served:], 2, "the first two requests were served, the third never left")
		for _, req := range w.CDN.Requests()[served:] {
			require.NotEqual(t, "cdn-b.example.org", req.Host)
			require.NotEqual(t, "exfil.attacker.test", req.Host)
		}
	})

	t.Run("a server-first protocol keeps the address rule", func(t *testing.T) {
		c := w.dialAgent(net.JoinHostPort(cdn4, "25"))
		defer c.Close()
		r := bufio.NewReader(c)
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "220 greetings\r\n", line)
		fmt.Fprintf(c, "EHLO agent\r\n")
		line, err = r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "250 EHLO agent\r\n", line)
	})

	t.Run("a deny entry beats the entry that covers it, over DNS and over SNI", func(t *testing.T) {
		w.SetPolicy(shared.ModeRestricted, "cdn-a.example.net", "example.org", "!cdn-b.example.org")
		defer w.SetPolicy(shared.ModeRestricted, "cdn-a.example.net")
		in, err := w.resolve("cdn-b.example.org", dns.TypeA, net.JoinHostPort(dns4, "53"), "udp")
		require.NoError(t, err)
		require.Equal(t, dns.RcodeRefused, in.Rcode)
		before := len(w.CDN.Hellos())
		_, err = w.tlsGet(cdn4, "cdn-b.example.org")
		require.ErrorIs(t, err, syscall.ECONNRESET, "the connection is reset")
		require.NotContains(t, w.CDN.Hellos()[before:], "cdn-b.example.org", "no ClientHello reached the server")
		body, err := w.tlsGet(cdn4, "cdn-a.example.net")
		require.NoError(t, err)
		require.Equal(t, "hello cdn-a.example.net\n", body)
	})

	t.Run("a removed name keeps its open connection and refuses the next", func(t *testing.T) {
		tc := w.tlsDial(cdn4, "cdn-a.example.net")
		defer tc.Close()
		get := tlsRequester(tc, "cdn-a.example.net")
		require.NoError(t, get())
		w.SetPolicy(shared.ModeRestricted, "github.com")
		require.NoError(t, get(), "the open connection stays open")
		var err error
		require.NoError(t, w.Agent.Do(func() error {
			_, err = net.DialTimeout("tcp", net.JoinHostPort(cdn4, "443"), 2*time.Second)
			return nil
		}))
		require.ErrorIs(t, err, syscall.ECONNREFUSED, "a new connection to the removed name's address fails at once")
		w.SetPolicy(shared.ModeRestricted, "cdn-a.example.net")
	})
}

// dialAgent opens a TCP connection from the agent namespace.
func (w *World) dialAgent(addr string) net.Conn {
	w.t.Helper()
	var c net.Conn
	require.NoError(w.t, w.Agent.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	}))
	return c
}

// tlsDial opens a TLS connection from the agent namespace to addr:443 with
// sni ("" sends none), trusting the test CA.
func (w *World) tlsDial(addr, sni string) *tls.Conn {
	w.t.Helper()
	tc, err := w.tlsHandshake(addr, sni)
	require.NoError(w.t, err)
	return tc
}

func (w *World) tlsHandshake(addr, sni string) (*tls.Conn, error) {
	c := w.dialAgent(net.JoinHostPort(addr, "443"))
	cfg := &tls.Config{ServerName: sni, RootCAs: w.CA.Pool}
	if sni == "" {
		cfg.InsecureSkipVerify = true // only way to send no SNI
	}
	tc := tls.Client(c, cfg)
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	_ = tc.SetDeadline(time.Time{})
	return tc, nil
}

// tlsGet fetches / over HTTPS as curl --resolve would: to addr, naming sni.
func (w *World) tlsGet(addr, sni string) (string, error) {
	tc, err := w.tlsHandshake(addr, sni)
	if err != nil {
		return "", err
	}
	defer tc.Close()
	host := sni
	if host == "" {
		host = "cdn-a.example.net"
	}
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// httpGet sends one plain HTTP request to addr:80 with the given Host.
func (w *World) httpGet(addr, host string) (int, string, error) {
	c := w.dialAgent(net.JoinHostPort(addr, "80"))
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// requireEvent waits for an event like want (time aside) in the sidecar's log.
func (w *World) requireEvent(want shared.Event) {
	w.t.Helper()
	var seen []shared.Event
	require.Eventually(w.t, func() bool {
		evs, err := w.Control.Events(context.Background(), 0)
		if err != nil {
			return false
		}
		seen = evs
		for _, e := range evs {
			e.Time = time.Time{}
			if reflect.DeepEqual(e, want) {
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "event %+v among %+v", want, &seen)
}

// TestPrivilegedNameCheckKilled kills the sidecar mid-connection: a
// connection it judged before goes on in the kernel, and nothing new gets
// out, by any name, until a new sidecar is ready: the kernel drops what it
// would hand to a queue that no one reads.
func TestPrivilegedNameCheckKilled(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "cdn-a.example.net")
	_, err := w.lookup("cdn-a.example.net", dns.TypeA)
	require.NoError(t, err)
	tc := w.tlsDial(cdn4, "cdn-a.example.net")
	defer tc.Close()
	get := tlsRequester(tc, "cdn-a.example.net")
	require.NoError(t, get())

	w.Sidecar.Kill()
	require.NoError(t, get(), "the connection judged before goes on")
	for _, port := range []string{"443", "80"} {
		before := w.queuedSYNs()
		var fd int
		require.NoError(t, w.Agent.Do(func() (err error) {
			// A socket belongs to the namespace it was made in.
			fd, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
			if err != nil {
				return err
			}
			p, _ := strconv.Atoi(port)
			err = unix.Connect(fd, &unix.SockaddrInet4{Port: p, Addr: netip.MustParseAddr(cdn4).As4()})
			if errors.Is(err, unix.EINPROGRESS) {
				return nil
			}
			return fmt.Errorf("connect: %w", err)
		}))
		require.Eventually(t, func() bool { return w.queuedSYNs() > before }, 5*time.Second, 10*time.Millisecond,
			"port %s: the SYN reaches the queue", port)
		// No answer came, so the kernel sends the SYN again (after its
		// initial timeout of a second) with the socket still connecting.
		var info *unix.TCPInfo
		require.Eventually(t, func() bool {
			info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
			return err == nil && info.Total_retrans > 0
		}, 5*time.Second, 20*time.Millisecond, "port %s: the SYN is sent again", port)
		require.Equal(t, uint8(tcpSynSent), info.State, "port %s: the SYN went to a queue no one reads and was dropped", port)
		unix.Close(fd)
	}

	w.Sidecar.Start()
	_, err = w.lookup("cdn-a.example.net", dns.TypeA)
	require.NoError(t, err)
	body, err := w.tlsGet(cdn4, "cdn-a.example.net")
	require.NoError(t, err)
	require.Equal(t, "hello cdn-a.example.net\n", body)
	_, err = w.tlsGet(cdn4, "cdn-b.example.org")
	require.ErrorIs(t, err, syscall.ECONNRESET, "the connection is reset")
	require.NoError(t, get(), "the connection judged before the restart still goes on")
}

// tcpSynSent is TCP_SYN_SENT of the kernel's TCP states (tcp_states.h).
const tcpSynSent = 2

// queuedSYNs counts the SYNs the IPv4 rules handed to the name check's queue.
func (w *World) queuedSYNs() int {
	w.t.Helper()
	out := w.Agent.MustExec(w.t, "iptables", "-L", "WARDEN-OUT-RESTRICTED", "-v", "-x", "-n")
	n := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[2] == "NFQUEUE" && strings.Contains(line, "match-set") {
			v, err := strconv.Atoi(f[0])
			require.NoError(w.t, err)
			n += v
		}
	}
	return n
}

// tlsRequester returns a function that sends one request on tc and reads
// the answer.
func tlsRequester(tc *tls.Conn, host string) func() error {
	r := bufio.NewReader(tc)
	return func() error {
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
}

// TestPrivilegedCutByName removes one of two names that share an address,
// asking for cuts: the address stays allowed for the other name, so only
// the name check knows which connection to cut.
func TestPrivilegedCutByName(t *testing.T) {
	w := newWorld(t, shared.ModeRestricted, "cdn-a.example.net", "cdn-b.example.org")
	for _, name := range []string{"cdn-a.example.net", "cdn-b.example.org"} {
		_, err := w.lookup(name, dns.TypeA)
		require.NoError(t, err)
	}
	open := func(sni string) (*tls.Conn, func() error) {
		tc := w.tlsDial(cdn4, sni)
		t.Cleanup(func() { tc.Close() })
		return tc, tlsRequester(tc, sni)
	}
	_, getA := open("cdn-a.example.net")
	_, getB := open("cdn-b.example.org")
	require.NoError(t, getA())
	require.NoError(t, getB())

	res := w.cutPolicy(shared.ModeRestricted, "cdn-a.example.net")
	require.Equal(t, 1, res.Cut, "one connection was bound to the removed name")
	require.Error(t, getB(), "the connection bound to the removed name is cut")
	require.NoError(t, getA(), "the other name's connection on the same address stays")
	_, err := w.tlsGet(cdn4, "cdn-b.example.org")
	require.ErrorIs(t, err, syscall.ECONNRESET, "the connection is reset")
}
