package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/proxy/internal/fast"
	"github.com/warden-sh/warden/sidecar/relay"
)

// serveUpgrade proxies a protocol switch (a WebSocket, for hot module
// replacement): it sends the handshake to the dev server itself, passes a
// refusal back as an ordinary answer, and on 101 hands the dev server's
// answer to the browser and joins the two connections. The tunnel holds no
// buffer while idle (relay.Join).
func (p *Proxy) serveUpgrade(w http.ResponseWriter, r *http.Request, h Host, t Target) {
	if r.ContentLength != 0 {
		p.countPage(r.Host, http.StatusBadRequest)
		writePage(w, http.StatusBadRequest, page{Kind: PageBadRequest, Title: "Upgrade with a body",
			Lines: []string{"A protocol upgrade (WebSocket) request must not carry a body."}})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.DialTimeout+p.cfg.HandshakeTimeout)
	defer cancel()
	backend, err := p.dial.dialBackend(ctx, "tcp", backendAddr(h.ProjectID, h.Port))
	if err != nil {
		p.backendError(w, r, err)
		return
	}
	resp, br, err := handshake(ctx, backend, upgradeRequest(r, h), p.cfg.HandshakeTimeout)
	if err != nil {
		backend.Close()
		p.backendError(w, r, fmt.Errorf("WebSocket handshake with the dev server: %w", err))
		return
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer backend.Close()
		csp, _, _ := p.answerPolicy(r.Context(), r, false)
		p.answers.add(h.ProjectID, resp.StatusCode)
		passOn(w, resp, csp)
		return
	}
	defer resp.Body.Close()
	if !strings.EqualFold(resp.Header.Get("Upgrade"), r.Header.Get("Upgrade")) {
		backend.Close()
		p.backendError(w, r, fmt.Errorf("the dev server switched to %q when %q was asked for",
			resp.Header.Get("Upgrade"), r.Header.Get("Upgrade")))
		return
	}
	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		backend.Close()
		p.log.Warn("taking over a connection for a WebSocket", "err", err)
		return
	}
	csp, _, _ := p.answerPolicy(r.Context(), r, false)
	p.answers.add(h.ProjectID, resp.StatusCode)
	if err := finishSwitch(client, brw, backend, br, resp, csp); err != nil {
		client.Close()
		backend.Close()
		return
	}
	p.log.Debug("tunnel open", "project", h.ProjectID, "port", h.Port)
	tun := p.tunnels.add(client, backend)
	if tun == nil {
		return // closing
	}
	go func() {
		relay.Join(client, backend)
		p.tunnels.remove(tun)
	}()
}

// upgradeRequest is r as the dev server gets it: same path, Host, Origin
// and WebSocket headers, hop-by-hop headers dropped, X-Forwarded-* set.
func upgradeRequest(r *http.Request, h Host) *http.Request {
	out := &http.Request{
		Method:     r.Method,
		URL:        &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Host:       r.Host,
	}
	ip := ""
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	out.Header = fast.OutboundHeader(r.Header, ip, r.Host)
	out.Header.Set("Connection", "Upgrade")
	out.Header.Set("Upgrade", r.Header.Get("Upgrade"))
	return out
}

// handshake writes out on c and reads the answer's head.
func handshake(ctx context.Context, c net.Conn, out *http.Request, timeout time.Duration) (*http.Response, *bufio.Reader, error) {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := out.Write(c); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(c, 4096)
	resp, err := http.ReadResponse(br, out)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		_ = c.SetDeadline(time.Time{})
	}
	return resp, br, nil
}

// passOn gives the browser the dev server's refusal of the upgrade.
func passOn(w http.ResponseWriter, resp *http.Response, csp string) {
	defer resp.Body.Close()
	for _, k := range fast.HopHeaders {
		resp.Header.Del(k)
	}
	addPolicy(resp.Header, csp)
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<20))
}

// finishSwitch writes the 101 to the browser and passes on what either
// side sent early, already read into a buffer.
func finishSwitch(client net.Conn, brw *bufio.ReadWriter, backend net.Conn, br *bufio.Reader, resp *http.Response, csp string) error {
	bw := bufio.NewWriterSize(client, 1024)
	fmt.Fprintf(bw, "HTTP/1.1 101 %s\r\n", http.StatusText(http.StatusSwitchingProtocols))
	keep := resp.Header.Clone()
	for _, k := range fast.HopHeaders {
		keep.Del(k)
	}
	keep.Set("Connection", "Upgrade")
	keep.Set("Upgrade", resp.Header.Get("Upgrade"))
	addPolicy(keep, csp)
	if err := keep.Write(bw); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	if n := br.Buffered(); n > 0 {
		early, _ := br.Peek(n)
		bw.Write(early)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		if _, err := backend.Write(early); err != nil {
			return err
		}
	}
	return nil
}
