package fast

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// FuzzHeadEnd holds the fast paths' head reader (headEnd, which decides
// where a request or answer head ends before net/http parses it) to
// net/http's own: wherever net/http reads a whole head from the bytes,
// headEnd finds the same end, or hands the bytes to net/http's server
// (-1); it never waits for more (0) where net/http has a head, and never
// claims a head net/http would read past.
func FuzzHeadEnd(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\r\n continued\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\n\r\n",
		"\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := headEnd(b)
		if end > 0 && !bytes.HasSuffix(b[:end], []byte("\r\n\r\n")) && end != 2 {
			t.Fatalf("headEnd(%q) = %d, which does not end in an empty line", b, end)
		}
		if end == 2 && !bytes.HasPrefix(b, []byte("\r\n")) {
			t.Fatalf("headEnd(%q) = 2", b)
		}
		for _, parse := range []struct {
			name string
			read func(*bufio.Reader) error
		}{
			{"request", func(br *bufio.Reader) error { _, err := http.ReadRequest(br); return err }},
			{"answer", func(br *bufio.Reader) error {
				_, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
				return err
			}},
		} {
			br := bufio.NewReaderSize(bytes.NewReader(b), len(b)+16)
			if parse.read(br) != nil {
				continue // net/http refuses it: the server answers it (400) or the proxy reports it
			}
			used := len(b) - br.Buffered()
			switch {
			case end == 0:
				t.Fatalf("%s %q: net/http reads a head of %d bytes where headEnd waits for more", parse.name, b, used)
			case end > 0 && end != used:
				t.Fatalf("%s %q: net/http reads a head of %d bytes, headEnd %d", parse.name, b, used, end)
			}
		}
	})
}

func TestHeadEnd(t *testing.T) {
	for in, want := range map[string]int{
		"":                                0,
		"GET / HTTP/1.1\r\n":              0,
		"GET / HTTP/1.1\r\nHost: a\r\n":   0,
		"GET / HTTP/1.1\r\n\r\n":          18,
		"GET / HTTP/1.1\r\nA: b\r\n\r\nX": 24,
		"GET / HTTP/1.1\nHost: a\n\n":     -1,
		"GET / HTTP/1.1\r\nA: b\n\r\n":    -1,
		"\n":                              -1,
		"\r\n":                            2,
	} {
		if got := headEnd([]byte(in)); got != want {
			t.Errorf("headEnd(%q) = %d, want %d", in, got, want)
		}
	}
}
