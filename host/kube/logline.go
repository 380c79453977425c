package kube

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/warden-sh/warden/shared"
)

// maxLogLine bounds a line of the sidecar's log as the API server serves
// it (the runtime's timestamp, a space, the text). Longer lines are the
// sidecar's own log, never a report, and are skipped.
const maxLogLine = 64 << 10

// logLine is one line of a container log read with timestamps=true.
type logLine struct {
	// At is when the container runtime took the line.
	At   time.Time
	Text []byte
}

// splitLogLine separates the runtime's RFC 3339 timestamp from the text.
func splitLogLine(line []byte) (logLine, error) {
	ts, text, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return logLine{}, fmt.Errorf("log line %.40q has no timestamp; expect RFC 3339 time, a space, the text", line)
	}
	at, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return logLine{}, fmt.Errorf("log line timestamp %.40q: expect RFC 3339 such as 2026-12-03T16:00:00.123456789Z", ts)
	}
	return logLine{At: at, Text: text}, nil
}

// errStop ends readLogLines early without an error of its own.
var errStop = errors.New("stop reading")

// readLogLines calls fn for every complete line of r, skipping lines longer
// than maxLogLine and an unfinished last one (a follow stream cut short;
// the next read starts at or before it). It returns fn's first error, nil
// for errStop, or r's read error (nil at EOF).
func readLogLines(r io.Reader, fn func(logLine) error) error {
	br := bufio.NewReaderSize(r, maxLogLine)
	skipping := false
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			skipping = true
			continue
		case err != nil:
			if err == io.EOF {
				return nil
			}
			return err
		case skipping:
			skipping = false
			continue
		}
		line, perr := splitLogLine(bytes.TrimSuffix(b, []byte("\n")))
		if perr != nil {
			continue // not something the runtime wrote; nothing to learn
		}
		if err := fn(line); err != nil {
			if errors.Is(err, errStop) {
				return nil
			}
			return err
		}
	}
}

// parseReport reads the report a log line carries; ok is false for the
// sidecar's own log lines and for bad reports (err says why).
func parseReport(l logLine) (rep shared.KubeReport, ok bool, err error) {
	rep, err = shared.ParseKubeReport(l.Text)
	if errors.Is(err, shared.ErrNotKubeReport) {
		return rep, false, nil
	}
	return rep, err == nil, err
}
