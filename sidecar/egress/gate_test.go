package egress

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/fakeinet"
)

// testGate is a gate on a loopback port whose every connection is taken to
// be redirected to dst, with the events it recorded.
type testGate struct {
	*Gate
	addr string

	mu     sync.Mutex
	events []shared.Event
}

func newTestGate(t testing.TB, dst netip.AddrPort, allowed ...string) *testGate {
	t.Helper()
	tg := &testGate{}
	cfg := DefaultConfig()
	g, err := New(cfg, func(e shared.Event) { tg.mu.Lock(); tg.events = append(tg.events, e); tg.mu.Unlock() }, nil)
	require.NoError(t, err)
	g.dialer.Control = nil // marking sockets needs CAP_NET_ADMIN
	g.destination = func(*net.TCPConn) (netip.AddrPort, error) { return dst, nil }
	domains, err := shared.ParseDomains(allowed)
	require.NoError(t, err)
	g.SetPolicy(shared.NewMatcher(domains))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, g.acceptOn(ln))
	t.Cleanup(func() { g.Close() })
	tg.Gate, tg.addr = g, ln.Addr().String()
	return tg
}

func (tg *testGate) recorded() []shared.Event {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]shared.Event(nil), tg.events...)
}

// cdn is one address serving every name, over HTTP and HTTPS.
type cdn struct {
	http, https netip.AddrPort
	ca          *fakeinet.CA
	mu          sync.Mutex
	hosts       []string
	hellos      []string
}

func newCDN(t *testing.T) *cdn {
	t.Helper()
	ca, err := fakeinet.NewCA()
	require.NoError(t, err)
	cert, err := ca.Issue("a.example.net", "b.example.org")
	require.NoError(t, err)
	c := &cdn{ca: ca}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hosts = append(c.hosts, r.Host)
		c.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %d", r.Host, r.URL.Path, len(body))
	})
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	secure, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s1, s2 := &http.Server{Handler: h}, &http.Server{Handler: h}
	go s1.Serve(plain)
	go s2.Serve(tls.NewListener(secure, &tls.Config{Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
			c.mu.Lock()
			c.hellos = append(c.hellos, hi.ServerName)
			c.mu.Unlock()
			return nil, nil
		}}))
	t.Cleanup(func() { s1.Close(); s2.Close() })
	c.http = netip.MustParseAddrPort(plain.Addr().String())
	c.https = netip.MustParseAddrPort(secure.Addr().String())
	return c
}

func (c *cdn) seen() (hosts, hellos []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.hosts...), append([]string(nil), c.hellos...)
}

func TestGateTLS(t *testing.T) {
	c := newCDN(t)
	g := newTestGate(t, c.https, "a.example.net")
	get := func(sni string) (string, error) {
		conn, err := tls.Dial("tcp", g.addr, &tls.Config{ServerName: sni, RootCAs: c.ca.Pool, InsecureSkipVerify: sni == ""})
		if err != nil {
			return "", err
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /x HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", sni)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	body, err := get("a.example.net")
	require.NoError(t, err)
	require.Equal(t, "a.example.net /x 0", body)
	body, err = get("www.a.example.net")
	require.ErrorContains(t, err, "certificate", "a subdomain is allowed; the test certificate does not cover it")
	_, err = get("b.example.org")
	require.ErrorContains(t, err, "unrecognized name")
	_, err = get("")
	require.ErrorContains(t, err, "unrecognized name")
	_, hellos := c.seen()
	require.Equal(t, []string{"a.example.net", "www.a.example.net"}, hellos, "refused hellos never reach the server")
	ev := g.recorded()
	require.Len(t, ev, 2)
	require.Equal(t, "b.example.org", ev[0].Name)
	require.Equal(t, "not allowed", ev[0].Reason)
	require.Equal(t, shared.EventNameRefused, ev[0].Kind)
	require.Equal(t, c.https.Addr().String(), ev[0].Address)
	require.Equal(t, int(c.https.Port()), ev[0].Port)
	require.Equal(t, "", ev[1].Name)
	require.Contains(t, ev[1].Reason, "without a server name")
}

// rawHTTP sends raw bytes through the gate and returns what comes back until
// the connection ends.
func rawHTTP(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	_, err = io.WriteString(conn, req)
	require.NoError(t, err)
	b, _ := io.ReadAll(conn)
	return string(b)
}

func TestGateHTTP(t *testing.T) {
	c := newCDN(t)
	g := newTestGate(t, c.http, "a.example.net")
	tests := []struct {
		name, req string
		want      []string // answers' bodies in order; a refusal is "403"
		cut       bool     // the connection is cut mid-way: answers before the cut may be lost
	}{
		{"allowed", "GET /1 HTTP/1.1\r\nHost: a.example.net\r\nConnection: close\r\n\r\n", []string{"a.example.net /1 0"}, false},
		{"allowed with port and case", "GET /1 HTTP/1.1\r\nHost: A.Example.NET:80\r\nConnection: close\r\n\r\n", []string{"A.Example.NET:80 /1 0"}, false},
		{"other host", "GET / HTTP/1.1\r\nHost: b.example.org\r\n\r\n", []string{"403"}, false},
		{"address as host", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", []string{"403"}, false},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a.example.net\r\nHost: b.example.org\r\n\r\n", []string{"403"}, false},
		{"absolute form names another", "GET http://b.example.org/ HTTP/1.1\r\nHost: a.example.net\r\n\r\n", []string{"403"}, false},
		{"folded host", "GET / HTTP/1.1\r\nHost: a.example.net\r\n b.example.org\r\n\r\n", []string{"403"}, false},
		{"bare LF", "GET / HTTP/1.1\nHost: a.example.net\n\n", []string{"403"}, false},
		{"upgrade", "GET / HTTP/1.1\r\nHost: a.example.net\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", []string{"403"}, false},
		{"connect", "CONNECT a.example.net:443 HTTP/1.1\r\nHost: a.example.net\r\n\r\n", []string{"403"}, false},
		{"length and chunked", "POST / HTTP/1.1\r\nHost: a.example.net\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []string{"403"}, false},
		{"HTTP/1.0 without host", "GET / HTTP/1.0\r\n\r\n", []string{"403"}, false},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", []string{"403"}, false},
		{"kept alive, second host cut", "GET /1 HTTP/1.1\r\nHost: a.example.net\r\n\r\nGET /2 HTTP/1.1\r\nHost: b.example.org\r\n\r\n", []string{"a.example.net /1 0"}, true},
		{"body that looks like a request", "POST /1 HTTP/1.1\r\nHost: a.example.net\r\nContent-Length: 39\r\n\r\nGET / HTTP/1.1\r\nHost: b.example.org\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.example.net\r\nConnection: close\r\n\r\n",
			[]string{"a.example.net /1 39", "a.example.net /2 0"}, false},
		{"chunked body, then the next request judged", "POST /1 HTTP/1.1\r\nHost: a.example.net\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nTrailer: z\r\n\r\nGET /2 HTTP/1.1\r\nHost: b.example.org\r\n\r\n",
			[]string{"a.example.net /1 5"}, true},
		{"bad chunk size", "POST /1 HTTP/1.1\r\nHost: a.example.net\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := c.seen()
			out := rawHTTP(t, g.addr, tt.req)
			r := bufio.NewReader(stringsReader(out))
			var got []string
			for {
				resp, err := http.ReadResponse(r, nil)
				if err != nil {
					break
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode == http.StatusForbidden {
					got = append(got, "403")
					require.Contains(t, string(b), "refused")
					continue
				}
				got = append(got, string(b))
			}
			if tt.cut {
				require.LessOrEqual(t, len(got), len(tt.want))
				for i := range got {
					require.Equal(t, tt.want[i], got[i])
				}
			} else {
				require.Equal(t, tt.want, got)
			}
			after, _ := c.seen()
			for _, h := range after[len(before):] {
				require.Contains(t, []string{"a.example.net", "A.Example.NET:80"}, h, "only allowed hosts reach the server")
			}
		})
	}
}

// serveLoopback runs a TCP server on loopback that hands each connection to
// fn, and returns its address.
func serveLoopback(t testing.TB, fn func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func TestGateOtherProtocolsKeepTheAddressRule(t *testing.T) {
	dst := serveLoopback(t, func(c net.Conn) {
		fmt.Fprintf(c, "SSH-2.0-server\r\n")
		_, _ = io.Copy(c, c)
	})
	g := newTestGate(t, dst)
	conn, err := net.Dial("tcp", g.addr)
	require.NoError(t, err)
	defer conn.Close()
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "SSH-2.0-server\r\n", line, "the server speaks first")
	fmt.Fprintf(conn, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
	line, err = r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", line)
}

func TestGateCut(t *testing.T) {
	c := newCDN(t)
	g := newTestGate(t, c.http, "a.example.net", "b.example.org")
	open := func(host string) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", g.addr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		return conn, r
	}
	a, ar := open("a.example.net")
	b, br := open("b.example.org")
	require.Equal(t, uint64(2), g.Counters().Open)
	require.Equal(t, 1, g.Cut(func(name string, _ netip.Addr) bool { return name == "b.example.org" }))
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := ar.ReadByte()
	require.Error(t, err, "a's connection was cut")
	fmt.Fprintf(b, "GET /again HTTP/1.1\r\nHost: b.example.org\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "b's connection stays")
	resp.Body.Close()
}

type stringReader struct{ s string }

func stringsReader(s string) *stringReader { return &stringReader{s} }

func (r *stringReader) Read(b []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(b, r.s)
	r.s = r.s[n:]
	return n, nil
}

func TestGateDenyEntryBeatsItsParent(t *testing.T) {
	c := newCDN(t)
	g := newTestGate(t, c.http, "example.org", "!b.example.org")
	require.Contains(t, rawHTTP(t, g.addr, "GET / HTTP/1.1\r\nHost: b.example.org\r\nConnection: close\r\n\r\n"), "403 Forbidden")
	require.Contains(t, rawHTTP(t, g.addr, "GET / HTTP/1.1\r\nHost: x.b.example.org\r\nConnection: close\r\n\r\n"), "403 Forbidden")
	require.Contains(t, rawHTTP(t, g.addr, "GET / HTTP/1.1\r\nHost: c.example.org\r\nConnection: close\r\n\r\n"), "200 OK")
}
