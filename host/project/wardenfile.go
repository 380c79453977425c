package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
)

// WardenFileName is the workspace file that declares forwarded ports.
const WardenFileName = ".warden.json"

// MaxWardenFileBytes caps how much of .warden.json is read.
const MaxWardenFileBytes = 64 << 10

const wardenFileShape = `expect {"forwardedPorts": [5173, 3000]}`

// ReadWardenFile returns the forwarded ports declared in the workspace's
// .warden.json, sorted. A missing file declares nothing (nil, nil). Invalid
// JSON, a bad or repeated port, a symbolic link, a special file or a file
// larger than MaxWardenFileBytes is an error naming the file and the problem.
// Fields other than forwardedPorts are ignored.
func ReadWardenFile(workspace string) ([]int, error) {
	path := filepath.Join(workspace, WardenFileName)
	data, err := readRegularFile(path, MaxWardenFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	ports, err := parseWardenFile(data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return ports, nil
}

// parseWardenFile decodes the file's contents. Each port is checked on its
// own so the error can name the one entry that is wrong.
func parseWardenFile(data []byte) ([]int, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("the file is empty; %s", wardenFileShape)
	}
	if trimmed[0] != '{' {
		return nil, fmt.Errorf("the file is not a JSON object; %s", wardenFileShape)
	}
	var doc struct {
		ForwardedPorts json.RawMessage `json:"forwardedPorts"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid JSON%s: %w; %s", jsonPosition(data, err), err, wardenFileShape)
	}
	raw := bytes.TrimSpace(doc.ForwardedPorts)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fieldError("forwardedPorts", excerpt(raw), "is not a list; %s", wardenFileShape)
	}
	ports := make([]int, 0, len(entries))
	seen := make(map[int]bool, len(entries))
	for _, e := range entries {
		port, err := strconv.Atoi(string(e))
		if errors.Is(err, strconv.ErrRange) {
			return nil, fieldError("forwardedPorts", excerpt(e), "is out of range; %s", portAccepted)
		}
		if err != nil {
			return nil, fieldError("forwardedPorts", excerpt(e), "is not a whole number; %s", portAccepted)
		}
		if err := checkPort("forwardedPorts", port); err != nil {
			return nil, err
		}
		if seen[port] {
			return nil, fieldError("forwardedPorts", strconv.Itoa(port), "is listed twice; expect each port once")
		}
		seen[port] = true
		ports = append(ports, port)
	}
	slices.Sort(ports)
	return ports, nil
}

// jsonPosition turns the byte offset of a JSON error into " at line L,
// column C", or "" when the error carries no offset.
func jsonPosition(data []byte, err error) string {
	var offset int64
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	default:
		return ""
	}
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(" at line %d, column %d", line, col)
}

// excerpt shortens a value the agent wrote before it is shown to the user.
func excerpt(b []byte) string {
	const limit = 40
	if len(b) <= limit {
		return string(b)
	}
	return string(b[:limit]) + "…"
}
