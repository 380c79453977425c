// Command probe tries one network action from wherever it runs (a test
// namespace, an agent container) and prints the outcome as one JSON object.
// It exits 0 whether or not the action succeeded; the JSON says which.
//
//	probe resolve NAME [-server ip:port] [-tcp] [-type A|AAAA]
//	probe tcp ADDR:PORT [-send text]     connect, optionally send and read a line
//	probe hold ADDR:PORT [-rounds N] [-interval D]
//	                                     one connection, a line echoed every interval
//	probe watch NAME -until ok|refused   resolve every interval until the answer
//	                                     turns; prints "ready" first, then the result
//	probe udp ADDR:PORT                  send "ping", wait for a reply
//	probe tls ADDR:PORT -sni NAME [-host NAME]
//	                                     a TLS handshake naming NAME (no verification), then GET /
//	probe http URL [-host NAME] [-bearer FILE]
//	                                     GET, naming NAME in Host (curl -H 'Host: NAME'),
//	                                     with FILE's token as a bearer token
//	probe mark [-mark N]                 set SO_MARK on a socket
//	probe packet                         open an AF_PACKET socket
//	probe raw                            open a raw ICMP socket
package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// Result is what every probe prints.
type Result struct {
	Probe  string   `json:"probe"`
	Target string   `json:"target,omitempty"`
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
	Rcode  string   `json:"rcode,omitempty"`
	EDE    []uint16 `json:"ede,omitempty"`
	Addrs  []string `json:"addrs,omitempty"`
	Reply  string   `json:"reply,omitempty"`
	Status int      `json:"status,omitempty"`
	Rounds int      `json:"rounds,omitempty"` // successful round trips (hold)
	At     int64    `json:"at,omitempty"`     // watch: Unix time in ns when the answer turned
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe resolve|tcp|udp|http|mark|packet|raw ...")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	server := fs.String("server", "", "resolver ip:port (default: first nameserver of /etc/resolv.conf)")
	tcp := fs.Bool("tcp", false, "resolve over TCP")
	qtype := fs.String("type", "A", "query type")
	send := fs.String("send", "", "text to send after connecting")
	mark := fs.Int("mark", 0x5744, "mark to set")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait")
	rounds := fs.Int("rounds", 10, "round trips on the held connection")
	until := fs.String("until", "ok", "watch: ok or refused")
	interval := fs.Duration("interval", 200*time.Millisecond, "time between round trips")
	host := fs.String("host", "", "http, tls: the Host to name (default: the URL's, or the SNI)")
	sni := fs.String("sni", "", "tls: the server name to send")
	bearer := fs.String("bearer", "", "http: file whose content is sent as a bearer token (a service-account token); https is not verified")
	// The target may come before the flags (probe tcp ADDR -send hi).
	args, target := os.Args[2:], ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	_ = fs.Parse(args)
	if target == "" {
		target = fs.Arg(0)
	}

	r := Result{Probe: os.Args[1], Target: target}
	var err error
	switch os.Args[1] {
	case "resolve":
		err = resolve(&r, target, *server, *tcp, *qtype, *timeout)
	case "tcp":
		err = dialTCP(&r, target, *send, *timeout)
	case "watch":
		err = watch(&r, target, *server, *until, *interval, *timeout)
	case "hold":
		err = hold(&r, target, *rounds, *interval, *timeout)
	case "udp":
		err = dialUDP(&r, target, *timeout)
	case "http":
		err = get(&r, target, *host, *bearer, *timeout)
	case "tls":
		err = getTLS(&r, target, *sni, *host, *timeout)
	case "mark":
		err = setMark(*mark)
	case "packet":
		err = openSocket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
	case "raw":
		err = openSocket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
	default:
		fmt.Fprintf(os.Stderr, "unknown probe %q\n", os.Args[1])
		os.Exit(2)
	}
	r.OK = err == nil
	if err != nil {
		r.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func resolve(r *Result, name, server string, tcp bool, qtype string, timeout time.Duration) error {
	if server == "" {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return err
		}
		server = net.JoinHostPort(conf.Servers[0], conf.Port)
	}
	t, ok := dns.StringToType[strings.ToUpper(qtype)]
	if !ok {
		return fmt.Errorf("unknown query type %q", qtype)
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), t)
	m.SetEdns0(1232, false)
	c := &dns.Client{Timeout: timeout}
	if tcp {
		c.Net = "tcp"
	}
	in, _, err := c.Exchange(m, server)
	if err != nil {
		return err
	}
	r.Rcode = dns.RcodeToString[in.Rcode]
	if opt := in.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if ede, ok := o.(*dns.EDNS0_EDE); ok {
				r.EDE = append(r.EDE, ede.InfoCode)
			}
		}
	}
	for _, rr := range in.Answer {
		switch v := rr.(type) {
		case *dns.A:
			r.Addrs = append(r.Addrs, v.A.String())
		case *dns.AAAA:
			r.Addrs = append(r.Addrs, v.AAAA.String())
		}
	}
	if in.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("answer %s", r.Rcode)
	}
	return nil
}

func dialTCP(r *Result, addr, send string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if send == "" {
		return nil
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, send+"\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	r.Reply = strings.TrimSpace(line)
	return err
}

// watch resolves name every interval until the answer is allowed (ok) or
// refused, and records when it turned. The clock is the kernel's, shared with
// the host, so a benchmark can compare it with its own.
func watch(r *Result, name, server, until string, interval, timeout time.Duration) error {
	if until != "ok" && until != "refused" {
		return fmt.Errorf("bad -until %q; expect ok or refused", until)
	}
	fmt.Println("ready")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var probe Result
		err := resolve(&probe, name, server, false, "A", timeout)
		if (until == "ok" && err == nil) || (until == "refused" && probe.Rcode == "REFUSED") {
			r.At = time.Now().UnixNano()
			r.Rcode = probe.Rcode
			return nil
		}
		time.Sleep(interval)
	}
	return fmt.Errorf("the answer for %s did not turn %s within 30s", name, until)
}

// hold keeps one connection open and round-trips a line every interval, so
// a test can change the policy while it is open.
func hold(r *Result, addr string, rounds int, interval, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	for i := 0; i < rounds; i++ {
		if i > 0 {
			time.Sleep(interval)
		}
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := fmt.Fprintf(c, "round %d\n", i); err != nil {
			return err
		}
		if _, err := rd.ReadString('\n'); err != nil {
			return err
		}
		r.Rounds++
	}
	return nil
}

func dialUDP(r *Result, addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("udp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	r.Reply = string(buf[:n])
	return err
}

func get(r *Result, url, host, bearer string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Host = host
	if bearer != "" {
		tok, err := os.ReadFile(bearer)
		if err != nil {
			return fmt.Errorf("reading token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := c.Do(req)
	return record(r, resp, err)
}

// record keeps an answer's status and the start of its body.
func record(r *Result, resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	r.Status = resp.StatusCode
	r.Reply = strings.TrimSpace(string(body))
	return nil
}

func getTLS(r *Result, addr, sni, host string, timeout time.Duration) error {
	if host == "" {
		host = sni
	}
	d := &net.Dialer{Timeout: timeout}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	return record(r, resp, err)
}

func setMark(mark int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, mark)
}

func openSocket(domain, typ, proto int) error {
	fd, err := unix.Socket(domain, typ, proto)
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
