package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The conformance table: each exchange runs through every serving path
// (the fast path, the event loop, the HTTP server with the proxy's own
// transport) and through the reference, httputil.ReverseProxy over
// http.Transport in net/http's server; the browser must get the same bytes
// from each, Date apart.

// confCase is one exchange: what the browser sends, what the dev server
// answers.
type confCase struct {
	name string
	// req is what the browser sends; {host} is the preview Host.
	req string
	// method is the requests' method, for reading the answers.
	method string
	// answers is how many final answers the browser reads (pipelining).
	answers int
	// continued is the body sent once a 100 Continue arrives.
	continued string
	// closes: the connection must end after the answers.
	closes bool
	// dev writes the answer to req on w; false closes the connection.
	dev func(w io.Writer, req *http.Request) bool
}

func answerWith(s string, keep bool) func(io.Writer, *http.Request) bool {
	return func(w io.Writer, _ *http.Request) bool {
		_, _ = io.WriteString(w, s)
		return keep
	}
}

var confCases = []confCase{
	{name: "GET", req: "GET /a?b=c HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Dev: 1\r\n\r\nhello", true)},
	{name: "HEAD", req: "HEAD / HTTP/1.1\r\nHost: {host}\r\n\r\n", method: "HEAD",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n", true)},
	{name: "204", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 204 No Content\r\nX-Dev: 1\r\n\r\n", true)},
	{name: "304", req: "GET / HTTP/1.1\r\nHost: {host}\r\nIf-None-Match: \"v1\"\r\n\r\n",
		dev: answerWith("HTTP/1.1 304 Not Modified\r\nEtag: \"v1\"\r\nCache-Control: no-cache\r\n\r\n", true)},
	{name: "chunked", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", true)},
	{name: "trailers", req: "GET / HTTP/1.1\r\nHost: {host}\r\nTE: trailers\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 42\r\n\r\n", true)},
	{name: "browser's Connection: close", req: "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n", closes: true,
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)},
	{name: "dev server's Connection: close", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false)},
	{name: "Expect: 100-continue", req: "POST /up HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
		continued: "data",
		dev:       answerWith("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", true)},
	{name: "informational answer", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 103 Early Hints\r\nLink: </app.js>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)},
	{name: "large request head", req: "GET / HTTP/1.1\r\nHost: {host}\r\nX-Big: " + strings.Repeat("b", 6000) + "\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)},
	{name: "large answer head", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("a", 70000)+"\r\nContent-Length: 2\r\n\r\nok", true)},
	{name: "large body", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n"+strings.Repeat("z", 200000), true)},
	{name: "pipelining", req: "GET /1 HTTP/1.1\r\nHost: {host}\r\n\r\nGET /2 HTTP/1.1\r\nHost: {host}\r\n\r\n", answers: 2,
		dev: func(w io.Writer, req *http.Request) bool {
			_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"+req.URL.Path)
			return true
		}},
	{name: "body of unknown length", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody of unknown length", false)},
	{name: "dev server closes early", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b", false)},
	{name: "unknown status", req: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n",
		dev: answerWith("HTTP/1.1 599 Odd\x01Phrase\r\nContent-Length: 0\r\n\r\n", true)},
}

// confBackend is the dev server of one case: /warm gets a small answer,
// every other request the case's.
func confBackend(t *testing.T, tc confCase) int {
	t.Helper()
	addr, _ := rawBackend(t, func(c net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			// A 100 Continue of the dev server's own is left out: whether
			// ReverseProxy passes it on after its server's own is a matter
			// of timing (the 103 row covers informational answers).
			if _, err := io.Copy(io.Discard, req.Body); err != nil {
				return
			}
			if req.URL.Path == "/warm" {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwarm")
				continue
			}
			if !tc.dev(c, req) {
				return
			}
		}
	})
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	require.NoError(t, err)
	return tcp.Port
}

// reference serves the way net/http alone would: httputil.ReverseProxy
// over http.Transport, with the proxy's rewrite.
func reference(t *testing.T, port int) string {
	t.Helper()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = "127.0.0.1:" + itoa(port)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:     &http.Transport{},
		FlushInterval: -1,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	// The proxy's server path keeps net/http from sniffing a Content-Type
	// (noSniff), which is otherwise a matter of timing; so does the
	// reference.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(noSniff{w}, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// recording keeps every byte read through it.
type recording struct {
	r   io.Reader
	buf bytes.Buffer
}

func (r *recording) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf.Write(p[:n])
	return n, err
}

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r]*\r$`)

// exchange runs tc on a connection to addr, after a /warm request when
// warm, and returns the bytes of the answers as the browser got them.
func exchange(t *testing.T, addr, host string, tc confCase, warm bool) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	rec := &recording{r: c}
	br := bufio.NewReader(rec)
	if warm {
		_, err := io.WriteString(c, "GET /warm HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.ReadAll(resp.Body)
		rec.buf.Next(rec.buf.Len() - br.Buffered())
	}
	_, err = io.WriteString(c, strings.ReplaceAll(tc.req, "{host}", host))
	require.NoError(t, err)
	method := cmpOr(tc.method, "GET")
	for n := 0; n < max(tc.answers, 1); {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			break
		}
		if resp.StatusCode < 200 {
			if resp.StatusCode == http.StatusContinue && tc.continued != "" {
				_, err = io.WriteString(c, tc.continued)
				require.NoError(t, err)
			}
			continue
		}
		n++
		if _, err := io.ReadAll(resp.Body); err != nil {
			break // cut short: what came is the answer
		}
	}
	if tc.closes {
		_, err := br.ReadByte()
		require.ErrorIs(t, err, io.EOF, "the connection ends after the answer")
	}
	got := rec.buf.Bytes()[:rec.buf.Len()-br.Buffered()]
	return dateLine.ReplaceAllString(string(got), "Date: (any)\r")
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestConformance(t *testing.T) {
	for _, tc := range confCases {
		t.Run(tc.name, func(t *testing.T) {
			port := confBackend(t, tc)
			fast := newEnvOn(t, true, port)
			server := newEnvOn(t, false, port)
			host := fast.host(port)
			want := exchange(t, reference(t, port), host, tc, false)
			require.NotEmpty(t, want)
			for name, got := range map[string]string{
				"fast path":              exchange(t, fast.server.Listener.Addr().String(), host, tc, false),
				"event loop":             exchange(t, fast.server.Listener.Addr().String(), host, tc, true),
				"server":                 exchange(t, server.server.Listener.Addr().String(), server.host(port), tc, false),
				"server, after a GET":    exchange(t, server.server.Listener.Addr().String(), server.host(port), tc, true),
				"reference, after a GET": exchange(t, reference(t, port), host, tc, true),
			} {
				if got != want {
					t.Errorf("%s answered\n%q\nthe reference\n%q", name, clipConf(got), clipConf(want))
				}
			}
		})
	}
}

// clipConf shortens a long answer for a message.
func clipConf(s string) string {
	if len(s) > 600 {
		return s[:300] + "…" + s[len(s)-300:]
	}
	return s
}
