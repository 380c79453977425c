package fakeinet

import (
	"bufio"
	"crypto/tls"
	"errors"
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

	hl, err := net.Listen("tcp", net.JoinHostPort(addr, "80"))
	if err != nil {
		return nil, fmt.Errorf("listening http %s: %w", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", addr)
	})}
	closers = append(closers, func() { srv.Close() })
	go func() {
		if err := srv.Serve(hl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return
		}
	}()
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
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "443"))
	if err != nil {
		return nil, fmt.Errorf("listening https %s: %w", addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s via %s from %s\n", r.Host, r.TLS.ServerName, addr)
	})}
	go func() { _ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})) }()
	return func() { srv.Close() }, nil
}
