package egress

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// maxHead bounds one request head; a longer one is refused.
const maxHead = 32 << 10

// bodyKind is how a request's body is framed.
type bodyKind int

const (
	bodyNone bodyKind = iota
	bodyLength
	bodyChunked
)

// requestHead is what the check needs of one HTTP/1.x request head.
type requestHead struct {
	host   string // the name the request is for, lower case, without port
	body   bodyKind
	length int64 // with bodyLength
}

// errNoName is a request that names no host: HTTP/1.0 without Host.
var errNoName = errors.New("request names no host")

// looksHTTP reports whether the first bytes a client sent are the start of an
// HTTP/1.x request: a method token and a space, with "HTTP/" on the first line
// or the line still arriving. A protocol that sends a line of another shape
// first (SSH's "SSH-2.0-…" banner, say) is not HTTP. ok is false while too few
// bytes have come to tell.
func looksHTTP(b []byte) (isHTTP, ok bool) {
	b = bytes.TrimLeft(b, "\r\n") // servers skip empty lines before a request
	sp := -1
	for i, c := range b {
		if c == ' ' {
			sp = i
			break
		}
		if !httpguts.IsTokenRune(rune(c)) {
			return false, true
		}
	}
	if sp < 0 {
		return false, len(b) > 64 // no method is that long
	}
	if sp == 0 {
		return false, true
	}
	line, _, complete := bytes.Cut(b, []byte("\n"))
	if !complete {
		return true, len(b) >= maxHead
	}
	return bytes.Contains(bytes.ToUpper(line), []byte("HTTP/")), true
}

// parseRequestHead judges one request head (request line to the empty line,
// CRLF line ends). It is stricter than servers are, so that no server can
// read a name the check did not: one Host, no folded lines, no bare LF, the
// absolute form's host the same as Host's, one way of framing the body. The
// head must also parse with net/http.
func parseRequestHead(head []byte) (requestHead, error) {
	var rh requestHead
	text := string(head)
	if !strings.HasSuffix(text, "\r\n\r\n") {
		return rh, errors.New("head does not end with an empty line")
	}
	lines := strings.Split(text[:len(text)-4], "\r\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n\x00") {
			return rh, errors.New("bare CR, LF or NUL in the head")
		}
	}
	method, rest, ok1 := strings.Cut(lines[0], " ")
	target, version, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" || !isToken(method) {
		return rh, fmt.Errorf("malformed request line %q", clip(lines[0]))
	}
	if version != "HTTP/1.1" && version != "HTTP/1.0" {
		return rh, fmt.Errorf("version %q; expect HTTP/1.1 or HTTP/1.0", clip(version))
	}
	if strings.ContainsAny(target, " \t") || strings.IndexFunc(target, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0 {
		return rh, fmt.Errorf("malformed request target %q", clip(target))
	}
	if method == http.MethodConnect {
		return rh, errors.New("CONNECT opens a tunnel the check cannot follow")
	}

	var hosts, lengths, encodings []string
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return rh, errors.New("folded or empty header line")
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || !isToken(name) {
			return rh, fmt.Errorf("malformed header line %q", clip(l))
		}
		value = strings.Trim(value, " \t")
		if !httpguts.ValidHeaderFieldValue(value) {
			return rh, fmt.Errorf("header %s has a control character", name)
		}
		switch strings.ToLower(name) {
		case "host":
			hosts = append(hosts, value)
		case "content-length":
			lengths = append(lengths, value)
		case "transfer-encoding":
			encodings = append(encodings, value)
		case "upgrade":
			return rh, errors.New("a protocol upgrade hands the connection to a protocol the check cannot follow")
		}
	}
	switch {
	case len(hosts) > 1:
		return rh, errors.New("two Host headers")
	case len(hosts) == 0 && version == "HTTP/1.1":
		return rh, errors.New("HTTP/1.1 request without Host")
	case len(hosts) == 0:
		return rh, errNoName
	}
	host, err := hostName(hosts[0])
	if err != nil {
		return rh, err
	}
	rh.host = host
	if target[0] != '/' && !(target == "*" && method == http.MethodOptions) {
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return rh, fmt.Errorf("request target %q is neither a path nor an http URL", clip(target))
		}
		if h, err := hostName(u.Host); err != nil || h != host {
			return rh, fmt.Errorf("request target names %q, Host names %q", clip(u.Host), clip(hosts[0]))
		}
	}

	switch {
	case len(encodings) > 0 && len(lengths) > 0:
		return rh, errors.New("both Transfer-Encoding and Content-Length")
	case len(encodings) > 1 || len(encodings) == 1 && !strings.EqualFold(encodings[0], "chunked"):
		return rh, fmt.Errorf("transfer encoding %q; only chunked is passed", clip(strings.Join(encodings, ", ")))
	case len(encodings) == 1:
		rh.body = bodyChunked
	case len(lengths) > 1:
		return rh, errors.New("two Content-Length headers")
	case len(lengths) == 1:
		n, err := strconv.ParseInt(lengths[0], 10, 63)
		if err != nil || n < 0 || strings.TrimLeft(lengths[0], "0123456789") != "" {
			return rh, fmt.Errorf("Content-Length %q", clip(lengths[0]))
		}
		if n > 0 {
			rh.body, rh.length = bodyLength, n
		}
	}

	// The library's reading must agree: a head net/http refuses is refused.
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		return rh, fmt.Errorf("request does not parse: %w", err)
	}
	if h, err := hostName(req.Host); err != nil || h != host {
		return rh, fmt.Errorf("request names %q and %q", clip(req.Host), clip(hosts[0]))
	}
	return rh, nil
}

// hostName turns a Host value (name, optional port) into the name the
// allowlist is matched against. An IP address is no name.
func hostName(hostport string) (string, error) {
	host := hostport
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.HasSuffix(hostport, "]") {
		host = hostport[:i]
		if p := hostport[i+1:]; p != "" {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return "", fmt.Errorf("Host %q has a bad port", clip(hostport))
			}
		}
	}
	host = strings.ToLower(host)
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return "", fmt.Errorf("Host %q is an address, not a name: %w", clip(hostport), errNoName)
	}
	if host == "" {
		return "", fmt.Errorf("empty Host: %w", errNoName)
	}
	return host, nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return true
}

// clip keeps refused values short in events and logs.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// chunkSize reads the hexadecimal size at the start of a chunk-size line.
func chunkSize(line []byte) (int64, error) {
	l := bytes.TrimSuffix(line, []byte("\r\n"))
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i]
	}
	if len(l) == 0 || len(l) > 15 || len(bytes.Trim(l, "0123456789abcdefABCDEF")) > 0 {
		return 0, fmt.Errorf("chunk size %q", clip(string(l)))
	}
	n, err := strconv.ParseInt(string(l), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("chunk size %q", clip(string(l)))
	}
	return n, nil
}
