package egress

import (
	"errors"
	"testing"
)

// FuzzHTTPSplit holds the HTTP check to one judgement however the stream is
// cut into packets: the bytes it lets go and whether it refuses must not
// depend on where the cut falls.
func FuzzHTTPSplit(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a.example.net\r\n\r\nGET / HTTP/1.1\r\nHost: b.example.org\r\n\r\n"), uint16(20))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a.example.net\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a.example.net\r\n\r\n"), uint16(60))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: a.example.net\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: 1\r\n\r\n"), uint16(75))
	allowed := func(name string) bool { return name == "a.example.net" }
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := httpCheck{}
		n, _, err := whole.advance(data, allowed)

		c := min(int(cut), len(data))
		split := httpCheck{}
		n1, _, err1 := split.advance(data[:c], allowed)
		if err1 != nil {
			if err == nil || n1 != n {
				t.Fatalf("cut at %d: refused after %d bytes (%v); whole: %d bytes, %v", c, n1, err1, n, err)
			}
			return
		}
		n2, _, err2 := split.advance(data[n1:], allowed)
		if n1+n2 != n || (err2 == nil) != (err == nil) {
			t.Fatalf("cut at %d: %d+%d bytes, %v; whole: %d bytes, %v", c, n1, n2, err2, n, err)
		}
		var r *refusal
		if err != nil && !errors.As(err, &r) {
			t.Fatalf("refusal of another type: %v", err)
		}
	})
}
