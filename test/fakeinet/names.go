package fakeinet

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
)

// Names serves several names from one address, as a CDN does: HTTPS on 443
// (any SNI gets the one certificate for every name; the answer says which name
// was asked) and HTTP on 80 (routed by Host), plus a server-first line
// protocol on 25 that greets before the client says anything. It logs the
// SNI of each ClientHello and the Host of each request.
type Names struct {
	mu       sync.Mutex
	requests []Request
	hellos   []string // the SNI of every ClientHello received, "" for none
}

// Hellos lists the SNI of every ClientHello the HTTPS servers received.
func (n *Names) Hellos() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.hellos...)
}

// Request is one HTTP request as the server saw it.
type Request struct {
	SNI  string // "" over plain HTTP
	Host string
}

// Requests lists the requests served so far.
func (n *Names) Requests() []Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Request(nil), n.requests...)
}

// ServeNames starts the servers on each of addrs with cert for HTTPS.
func ServeNames(cert tls.Certificate, addrs ...string) (n *Names, stop func(), err error) {
	n = &Names{}
	var closers []func()
	stop = func() {
		for _, c := range closers {
			c()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Host: r.Host}
		if r.TLS != nil {
			req.SNI = r.TLS.ServerName
		}
		n.mu.Lock()
		n.requests = append(n.requests, req)
		n.mu.Unlock()
		fmt.Fprintf(w, "hello %s\n", r.Host)
	})
	for _, addr := range addrs {
		stopPlain, err := serveHTTP(addr, "80", handler, nil)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, stopPlain)
		stopTLS, err := serveHTTP(addr, "443", handler, &tls.Config{
			Certificates: []tls.Certificate{cert},
			GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
				n.mu.Lock()
				n.hellos = append(n.hellos, h.ServerName)
				n.mu.Unlock()
				return nil, nil
			},
		})
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, stopTLS)
		ln, err := net.Listen("tcp", net.JoinHostPort(addr, "25"))
		if err != nil {
			return nil, nil, fmt.Errorf("listening on %s port 25: %w", addr, err)
		}
		closers = append(closers, func() { ln.Close() })
		go serveGreeting(ln)
	}
	return n, stop, nil
}

// serveGreeting speaks first, as SMTP does, then echoes lines.
func serveGreeting(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if _, err := fmt.Fprintf(c, "220 greetings\r\n"); err != nil {
				return
			}
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				if _, err := fmt.Fprintf(c, "250 %s\r\n", sc.Text()); err != nil {
					return
				}
			}
		}()
	}
}
