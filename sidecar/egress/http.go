package egress

import (
	"bytes"
	"errors"
)

// httpPhase is where in the request stream the next byte falls.
type httpPhase int

const (
	phaseHead httpPhase = iota
	phaseBody
	phaseChunkLine
	phaseChunkData
	phaseChunkEnd
	phaseTrailer
)

// maxChunkLine bounds a chunk-size line (size, extensions) and a trailer line.
const maxChunkLine = 4 << 10

// httpCheck follows an HTTP/1.x request stream as it arrives: every head is
// judged whole before any of it may go, and bodies are framed exactly, so a
// body that looks like a request stays a body and the next real head is
// judged.
type httpCheck struct {
	phase httpPhase
	left  int64 // body or chunk bytes still to come
}

// refusal is a request the check refuses, with the name it carried.
type refusal struct {
	name, reason string
}

func (r *refusal) Error() string { return r.reason }

var crlfcrlf = []byte("\r\n\r\n")

// advance reads b, the bytes not yet judged, and returns how many of them
// are judged and may go, the Host of the last head it passed, and a refusal
// when a request may not go.
func (h *httpCheck) advance(b []byte, allowed func(string) bool) (n int, host string, err error) {
	for {
		rest := b[n:]
		switch h.phase {
		case phaseHead:
			if len(rest) == 0 {
				return n, host, nil
			}
			i := bytes.Index(rest, crlfcrlf)
			scan := rest
			if i >= 0 {
				scan = rest[:i+4]
			}
			if bareLF(scan) {
				return n, host, &refusal{reason: "HTTP request head: bare LF in the head"}
			}
			if i < 0 || i+4 > maxHead {
				if len(rest) >= maxHead {
					return n, host, &refusal{reason: "HTTP request head: over the size limit"}
				}
				return n, host, nil
			}
			head := rest[:i+4]
			rh, perr := parseRequestHead(head)
			switch {
			case errors.Is(perr, errNoName):
				return n, host, &refusal{reason: "HTTP request without a host name"}
			case perr != nil:
				return n, host, &refusal{reason: "HTTP request does not parse: " + perr.Error()}
			case !allowed(rh.host):
				return n, host, &refusal{name: rh.host, reason: "not allowed"}
			}
			n += len(head)
			host = rh.host
			switch rh.body {
			case bodyLength:
				h.phase, h.left = phaseBody, rh.length
			case bodyChunked:
				h.phase = phaseChunkLine
			}
		case phaseBody, phaseChunkData:
			k := min(int64(len(rest)), h.left)
			n += int(k)
			h.left -= k
			if h.left > 0 {
				return n, host, nil
			}
			if h.phase == phaseBody {
				h.phase = phaseHead
			} else {
				h.phase = phaseChunkEnd
			}
		case phaseChunkEnd:
			if len(rest) < 2 {
				return n, host, nil
			}
			if !bytes.HasPrefix(rest, []byte("\r\n")) {
				return n, host, &refusal{reason: "HTTP request body: chunk not followed by CRLF"}
			}
			n += 2
			h.phase = phaseChunkLine
		case phaseChunkLine, phaseTrailer:
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				if len(rest) >= maxChunkLine {
					return n, host, &refusal{reason: "HTTP request body: chunk line over the size limit"}
				}
				return n, host, nil
			}
			if i == 0 || rest[i-1] != '\r' {
				return n, host, &refusal{reason: "HTTP request body: bare LF"}
			}
			line := rest[:i+1]
			n += len(line)
			if h.phase == phaseTrailer {
				if len(line) == 2 {
					h.phase = phaseHead
				}
				continue
			}
			size, serr := chunkSize(line)
			if serr != nil {
				return n - len(line), host, &refusal{reason: "HTTP request body: " + serr.Error()}
			}
			if size == 0 {
				h.phase = phaseTrailer
			} else {
				h.phase, h.left = phaseChunkData, size
			}
		}
	}
}

// bareLF reports a line end without CR: it would never end the head for
// the check, while some servers take it as one.
func bareLF(b []byte) bool {
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			return true
		}
	}
	return false
}
