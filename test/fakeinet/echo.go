package fakeinet

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
)

// ServeEcho starts, on one address, a line echo over TCP port 7, a datagram
// echo over UDP port 7 and an HTTP server on port 80 that says which address
// answered. Binding each address on its own makes UDP replies leave from the
// address the client asked. It returns a function that stops them.
func ServeEcho(addr string) (stop func(), err error) {
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
	hp := net.JoinHostPort(addr, "7")
	ln, err := net.Listen("tcp", hp)
	if err != nil {
		return nil, fmt.Errorf("listening tcp %s: %w", hp, err)
	}
	closers = append(closers, func() { ln.Close() })
	go acceptEcho(ln, addr)

	pc, err := net.ListenPacket("udp", hp)
	if err != nil {
		return nil, fmt.Errorf("listening udp %s: %w", hp, err)
	}
	closers = append(closers, func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(append([]byte("echo "), buf[:n]...), from)
		}
	}()

	stopHTTP, err := serveHTTP(addr, "80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", addr)
	}), nil)
	if err != nil {
		return nil, err
	}
	closers = append(closers, stopHTTP)
	return stop, nil
}

func acceptEcho(ln net.Listener, addr string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				if _, err := fmt.Fprintf(c, "echo %s from %s\n", sc.Text(), addr); err != nil {
					return
				}
			}
		}()
	}
}

// ServeHTTPS serves HTTPS on port 443 of addr with cert, answering every
// request with the Host and the SNI it came with. It returns a function
// that stops it.
func ServeHTTPS(addr string, cert tls.Certificate) (stop func(), err error) {
	return serveHTTP(addr, "443", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s via %s from %s\n", r.Host, r.TLS.ServerName, addr)
	}), &tls.Config{Certificates: []tls.Certificate{cert}})
}

// serveHTTP serves h on addr:port, over TLS when cfg is not nil, and
// returns a function that stops it.
func serveHTTP(addr, port string, h http.Handler, cfg *tls.Config) (stop func(), err error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, port))
	if err != nil {
		return nil, fmt.Errorf("listening on %s port %s: %w", addr, port, err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	return func() { srv.Close() }, nil
}
