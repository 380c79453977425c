package fast

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"
)

// forward sends a plain request to the dev server and writes its answer
// (or the proxy's page when it cannot be reached) to the browser. It
// reports whether the connection may carry another request.
func (fc *fastConn) forward(req *http.Request, key string) bool {
	keep := !req.Close
	req.Header = outboundFor(req, fc.remoteIP)
	req.URL.Scheme = "http"
	req.URL.Host = key
	req.Close = false // the browser's wish, not the dev server's
	req.RequestURI = ""
	req = req.WithContext(fc.s.ctx)
	resp, err := fc.s.tr.roundTrip(req, fc.waiter())
	return fc.reply(req, resp, err, keep)
}

// reply writes the dev server's answer to req, or the proxy's page when
// err says there is none. It reports whether the connection may carry
// another request.
func (fc *fastConn) reply(req *http.Request, resp *http.Response, err error, keep bool) bool {
	if err != nil {
		if fc.s.ctx.Err() != nil || errors.Is(err, ErrBrowserLeft) {
			return false // closing, or nobody reads an answer
		}
		pw := &pageWriter{header: make(http.Header)}
		fc.s.router.Failed(pw, req, err)
		return fc.writePage(req, pw, keep)
	}
	return fc.writeResponse(req, resp, keep)
}

// framing is how an answer's body reaches the browser.
type framing int

const (
	bodyNone    framing = iota // HEAD, 204, 304
	bodyLength                 // Content-Length
	bodyChunked                // length unknown: chunked, each part sent as read
)

// prepareAnswer readies the dev server's answer head for the browser as
// net/http's server and httputil.ReverseProxy would on the other path
// (host/proxy's conformance test holds them to it): the router's own
// headers (Router.Prepare) are set, the hop-by-hop headers go, and the
// headers a status has no use for; it returns the body's framing
// (writeHead adds the framing headers), and false when the router, asked
// from memory only, had nothing fresh.
func prepareAnswer(req *http.Request, resp *http.Response, r Router, memoryOnly bool) (framing, bool) {
	hdr := resp.Header
	if !r.Prepare(req, resp.StatusCode, hdr, memoryOnly) {
		return bodyNone, false
	}
	RemoveHopHeaders(hdr)
	return frame(req, resp), true
}

// frame drops the headers the answer's status has no use for and returns
// its body's framing.
func frame(req *http.Request, resp *http.Response) framing {
	hdr := resp.Header
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		delete(hdr, "Content-Type")
		delete(hdr, "Content-Length")
		return bodyNone
	case code == http.StatusNoContent:
		delete(hdr, "Content-Length")
		return bodyNone
	case req.Method == http.MethodHead:
		// Content-Length, when sent, describes the body not sent.
		return bodyNone
	case resp.ContentLength >= 0:
		if _, ok := hdr["Content-Length"]; !ok { // as ReverseProxy: the dev server's own kept
			hdr["Content-Length"] = []string{strconv.FormatInt(resp.ContentLength, 10)}
		}
		return bodyLength
	}
	delete(hdr, "Content-Length")
	if len(resp.Trailer) > 0 {
		names := make([]string, 0, len(resp.Trailer))
		for k := range resp.Trailer {
			names = append(names, k)
		}
		slices.Sort(names)
		hdr["Trailer"] = []string{strings.Join(names, ", ")}
	}
	return bodyChunked
}

// outboundFor is the header a plain request reaches the dev server with.
func outboundFor(req *http.Request, remoteIP string) http.Header {
	hdr := OutboundHeader(req.Header, remoteIP, req.Host)
	if httpguts.HeaderValuesContainsToken(req.Header["Te"], "trailers") {
		hdr["Te"] = []string{"trailers"}
	}
	return hdr
}

// writeResponse writes the dev server's answer: its status and headers
// less the hop-by-hop ones, then its body, framed by its length when known
// and chunked (each part sent as it comes) when not.
func (fc *fastConn) writeResponse(req *http.Request, resp *http.Response, keep bool) bool {
	defer resp.Body.Close()
	body, _ := prepareAnswer(req, resp, fc.s.router, false)
	writeHead(fc.bw, resp.StatusCode, resp.Header, body, keep)
	switch body {
	case bodyNone:
		return fc.bw.Flush() == nil && keep
	case bodyChunked:
		return fc.stream(resp) && keep
	}
	return fc.copyBody(resp) && keep
}

// headWriter is what writeHead writes to: a bufio.Writer or a
// bytes.Buffer.
type headWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// writeHead writes the status line and hdr, then, in net/http's server's
// order, a Date when the dev server sent none, Connection: close when the
// browser asked for it, and Transfer-Encoding: chunked for a body of
// unknown length.
func writeHead(w headWriter, code int, hdr http.Header, body framing, keep bool) {
	_, _ = w.WriteString("HTTP/1.1 ")
	_, _ = w.WriteString(strconv.Itoa(code))
	_ = w.WriteByte(' ')
	_, _ = w.WriteString(reason(code))
	_, _ = w.WriteString("\r\n")
	_ = hdr.Write(w)
	if _, ok := hdr["Date"]; !ok {
		_, _ = w.WriteString("Date: ")
		_, _ = w.WriteString(time.Now().UTC().Format(http.TimeFormat))
		_, _ = w.WriteString("\r\n")
	}
	if !keep {
		_, _ = w.WriteString("Connection: close\r\n")
	}
	if body == bodyChunked {
		_, _ = w.WriteString("Transfer-Encoding: chunked\r\n")
	}
	_, _ = w.WriteString("\r\n")
}

// reason is the status line's text, as net/http's server writes it on
// the other path: the standard text, or "status code N" for a code that
// has none. The dev server's own phrase is never passed on: it may hold
// any byte but CR and LF, up to the head's limit.
func reason(code int) string {
	if text := http.StatusText(code); text != "" {
		return text
	}
	return "status code " + strconv.Itoa(code)
}

// copyBody copies a body of known length, each part sent as soon as it
// is read (a dev server that pauses mid-body has its bytes delivered); an
// answer cut short ends the connection, the only way left to tell the
// browser.
func (fc *fastConn) copyBody(resp *http.Response) bool {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	var n int64
	for {
		m, err := resp.Body.Read(*buf)
		if m > 0 {
			n += int64(m)
			if _, werr := fc.bw.Write((*buf)[:m]); werr != nil {
				return false
			}
		}
		if errors.Is(err, io.EOF) {
			return n == resp.ContentLength && fc.bw.Flush() == nil
		}
		if err != nil || fc.bw.Flush() != nil {
			_ = fc.bw.Flush()
			return false
		}
	}
}

// stream copies a body of unknown length in chunks, each sent as soon as
// it is read, so an event stream reaches the page as it is written. A
// browser that leaves ends it at once.
func (fc *fastConn) stream(resp *http.Response) bool {
	if err := fc.bw.Flush(); err != nil {
		return false
	}
	stop := fc.watch(resp.Body.(*backendBody).c.conn)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	cw := httputil.NewChunkedWriter(fc.bw)
	for {
		m, err := resp.Body.Read(*buf)
		if m > 0 {
			if _, werr := cw.Write((*buf)[:m]); werr != nil || fc.bw.Flush() != nil {
				stop()
				return false
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stop()
			return false
		}
	}
	if !stop() {
		return false
	}
	_ = cw.Close() // the last, empty chunk
	_ = resp.Trailer.Write(fc.bw)
	fc.bw.WriteString("\r\n")
	return fc.bw.Flush() == nil
}

// waiter is what the fast path is told while it waits: a slow answer, to
// watch for a browser that leaves meanwhile, and informational answers,
// which it passes on.
func (fc *fastConn) waiter() *waiter {
	if fc.wait.informational == nil {
		fc.wait.informational = fc.writeInformational
		if !fc.s.BlindWaits {
			fc.wait.slow = fc.watch
		}
	}
	return &fc.wait
}

// noBodyHeaders are left out of an informational answer, as net/http's
// server leaves them out.
var noBodyHeaders = map[string]bool{"Content-Length": true, "Transfer-Encoding": true}

// writeInformational passes an informational answer on, as net/http's
// server writes one.
func (fc *fastConn) writeInformational(code int, hdr http.Header) error {
	_, _ = fc.bw.WriteString("HTTP/1.1 ")
	_, _ = fc.bw.WriteString(strconv.Itoa(code))
	_ = fc.bw.WriteByte(' ')
	_, _ = fc.bw.WriteString(reason(code))
	_, _ = fc.bw.WriteString("\r\n")
	_ = hdr.WriteSubset(fc.bw, noBodyHeaders)
	_, _ = fc.bw.WriteString("\r\n")
	return fc.bw.Flush()
}

// watch reads the browser's side of the connection while a stream runs,
// the browser having nothing to send until the answer ends: when it
// closes, the dev server's side is ended too. A byte that arrives (the
// next request, sent early) is kept for the next read. stop ends the
// watch and reports whether the browser is still there.
func (fc *fastConn) watch(backend net.Conn) (stop func() bool) {
	if fc.br.Buffered() > 0 || len(fc.in.early) > 0 {
		return func() bool { return true } // the next request is here already
	}
	_ = fc.c.SetReadDeadline(time.Time{})
	var stopping atomic.Bool
	gone := make(chan bool, 1)
	go func() {
		var b [1]byte
		n, err := fc.c.Read(b[:])
		if n == 1 {
			fc.in.early = append(fc.in.early, b[0])
		}
		left := n == 0 && err != nil && !stopping.Load()
		if left {
			_ = backend.SetReadDeadline(time.Unix(1, 0))
		}
		gone <- left
	}()
	return func() bool {
		stopping.Store(true)
		_ = fc.c.SetReadDeadline(time.Unix(1, 0))
		left := <-gone
		_ = fc.c.SetReadDeadline(time.Time{})
		return !left
	}
}

// pageWriter holds one of the proxy's pages for the fast path.
type pageWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *pageWriter) Header() http.Header { return w.header }

func (w *pageWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *pageWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// writePage writes a page pw holds; nothing written means the request's
// context ended, and the connection with it.
func (fc *fastConn) writePage(req *http.Request, pw *pageWriter, keep bool) bool {
	if pw.code == 0 {
		return false
	}
	pw.header["Content-Length"] = []string{strconv.Itoa(pw.body.Len())}
	writeHead(fc.bw, pw.code, pw.header, bodyLength, keep)
	if req.Method != http.MethodHead {
		fc.bw.Write(pw.body.Bytes())
	}
	return fc.bw.Flush() == nil && keep
}
