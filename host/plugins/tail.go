package plugins

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"unicode"
)

// tail keeps the last few lines written to it, each cut to a size: a
// plugin's last words (a panic) explain its death.
type tail struct {
	mu      sync.Mutex
	panic   string // the first line of the latest panic: the cause, where a stack follows
	lines   []string
	partial []byte
	keep    int
	width   int
}

func newTail(keep, width int) *tail { return &tail{keep: keep, width: width} }

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(t.partial) < t.width {
				t.partial = append(t.partial, b[:min(len(b), t.width-len(t.partial))]...)
			}
			break
		}
		if len(t.partial) < t.width {
			t.partial = append(t.partial, b[:min(i, t.width-len(t.partial))]...)
		}
		t.push(string(t.partial))
		t.partial = t.partial[:0]
		b = b[i+1:]
	}
	return n, nil
}

func (t *tail) push(line string) {
	line = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, line))
	if strings.HasPrefix(line, `{"@level":`) {
		line = logMessage(line)
	}
	if line == "" {
		return
	}
	if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
		t.panic = line
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.keep {
		t.lines = t.lines[len(t.lines)-t.keep:]
	}
}

// String is the latest panic's cause if there was one, else the lines kept
// joined by " | ".
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.panic != "" {
		return t.panic
	}
	lines := t.lines
	if p := strings.TrimSpace(string(t.partial)); p != "" {
		lines = append(lines[:len(lines):len(lines)], p)
		lines = lines[max(0, len(lines)-t.keep):]
	}
	return strings.Join(lines, " | ")
}

// logMessage is the message of a JSON log line a plugin's go-plugin writes
// (hclog), when it is a warning or worse; chatter is dropped.
func logMessage(line string) string {
	var e struct {
		Level   string `json:"@level"`
		Message string `json:"@message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal([]byte(line), &e) != nil {
		return line
	}
	switch e.Level {
	case "warn", "error":
		if e.Error != "" {
			return e.Message + ": " + e.Error
		}
		return e.Message
	}
	return ""
}
