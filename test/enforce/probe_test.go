package enforce

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The probes run in this test process, with the calling thread switched into
// the agent namespace. The process is root, but its sockets carry no mark, so
// the rules judge them exactly as they judge the agent's.

// resolve asks server (ip:port) for name over udp or tcp.
func (w *World) resolve(name string, qtype uint16, server, network string) (*dns.Msg, error) {
	var in *dns.Msg
	err := w.Agent.Do(func() error {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qtype)
		m.SetEdns0(1232, false)
		c := &dns.Client{Net: network, Timeout: 2 * time.Second}
		var err error
		in, _, err = c.Exchange(m, server)
		return err
	})
	return in, err
}

// lookup resolves through the resolver the agent's resolv.conf would name
// and returns the addresses, or an error naming the rcode.
func (w *World) lookup(name string, qtype uint16) ([]string, error) {
	in, err := w.resolve(name, qtype, net.JoinHostPort(dns4, "53"), "udp")
	if err != nil {
		return nil, err
	}
	if in.Rcode != dns.RcodeSuccess {
		return nil, fmt.Errorf("%s: %s", name, dns.RcodeToString[in.Rcode])
	}
	var out []string
	for _, rr := range in.Answer {
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		}
	}
	return out, nil
}

// dialTCP connects to addr port 7 and exchanges one line.
func (w *World) dialTCP(addr string) error {
	c, err := w.openTCP(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.roundTrip("hi")
}

// echoConn is an open connection to a TCP echo server.
type echoConn struct {
	net.Conn
	r *bufio.Reader
}

func (w *World) openTCP(addr string) (*echoConn, error) {
	var c net.Conn
	err := w.Agent.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", net.JoinHostPort(addr, "7"), time.Second)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &echoConn{Conn: c, r: bufio.NewReader(c)}, nil
}

func (c *echoConn) roundTrip(msg string) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
		return err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "echo "+msg) {
		return fmt.Errorf("unexpected reply %q", line)
	}
	return nil
}

// dialUDP sends a datagram to addr port 7 and waits for the echo.
func (w *World) dialUDP(addr string) error {
	var c net.Conn
	err := w.Agent.Do(func() error {
		var err error
		c, err = net.Dial("udp", net.JoinHostPort(addr, "7"))
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "echo ping" {
		return fmt.Errorf("unexpected reply %q", buf[:n])
	}
	return nil
}
