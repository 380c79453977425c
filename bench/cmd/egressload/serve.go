package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Ports of the destination: helloPort answers each ClientHello with one byte
// and then echoes; bulkPort reads a ClientHello and an 8-byte count and sends
// that many bytes.
const (
	helloPort = "443"
	bulkPort  = "444"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "", "address to serve on")
	dnsAddr := fs.String("dns", "", "address:port of the DNS server that answers -name with -addr")
	name := fs.String("name", "bench.example", "the name answered")
	_ = fs.Parse(args)
	ip, err := netip.ParseAddr(*addr)
	if err != nil {
		return fmt.Errorf("bad -addr %q: %w", *addr, err)
	}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		if strings.EqualFold(q.Name, dns.Fqdn(*name)) && q.Qtype == dns.TypeA && ip.Is4() {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 86400}, A: ip.AsSlice()})
		}
		_ = w.WriteMsg(m)
	})
	go func() { _ = dns.ListenAndServe(*dnsAddr, "udp", mux) }()

	hello, err := net.Listen("tcp", net.JoinHostPort(*addr, helloPort))
	if err != nil {
		return err
	}
	bulkLn, err := net.Listen("tcp", net.JoinHostPort(*addr, bulkPort))
	if err != nil {
		return err
	}
	go accept(bulkLn, serveBulk)
	fmt.Println("serving")
	accept(hello, serveHello)
	return nil
}

func accept(ln net.Listener, fn func(net.Conn)) {
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
}

// readHello reads one TLS record, the ClientHello.
func readHello(c net.Conn) error {
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return err
	}
	_, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(hdr[3:])))
	return err
}

func serveHello(c net.Conn) {
	if readHello(c) != nil {
		return
	}
	if _, err := c.Write([]byte{1}); err != nil {
		return
	}
	_, _ = io.Copy(c, c)
}

var zeros = make([]byte, 256<<10)

func serveBulk(c net.Conn) {
	if readHello(c) != nil {
		return
	}
	var n [8]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return
	}
	left := int64(binary.BigEndian.Uint64(n[:]))
	for left > 0 {
		k, err := c.Write(zeros[:min(left, int64(len(zeros)))])
		if err != nil {
			return
		}
		left -= int64(k)
	}
}

func resolve(args []string) error {
	fs := flag.NewFlagSet("resolve", flag.ExitOnError)
	server := fs.String("server", "127.0.0.1:53", "DNS server")
	name := fs.String("name", "bench.example", "name to resolve")
	_ = fs.Parse(args)
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(*name), dns.TypeA)
	in, err := dns.Exchange(m, *server)
	if err != nil {
		return err
	}
	if in.Rcode != dns.RcodeSuccess || len(in.Answer) == 0 {
		return fmt.Errorf("%s: %s with %d answers", *name, dns.RcodeToString[in.Rcode], len(in.Answer))
	}
	fmt.Println(in.Answer[0].String())
	return nil
}
