package proxy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/warden-sh/warden/shared"
)

// Suffix ends every preview host name.
const Suffix = ".localhost"

// idLen is the length of a project id (host/project.IDLen).
const idLen = 12

// maxLabel is the longest DNS label; the preview name is one label.
const maxLabel = 63

// hostShape is what a preview Host looks like, for messages.
const hostShape = "expect {projectId}-{agentType}-{port}.localhost[:port], such as a1b2c3d4e5f6-claude-code-5173.localhost:8090"

// ErrNotPreview marks a Host that is not a name under localhost, so not
// meant for the proxy at all.
var ErrNotPreview = errors.New("not a preview host")

// Host is a parsed preview Host header.
type Host struct {
	ProjectID string // 12 lower-case hex characters
	AgentType string // lower case, may contain dashes ("claude-code")
	Port      int    // the dev server's port in the container, 1–65535
	// Listen is the port the browser connected to (8090), 0 when the Host
	// header named none.
	Listen int
}

// String is the preview name without the listener's port.
func (h Host) String() string {
	return h.ProjectID + "-" + h.AgentType + "-" + strconv.Itoa(h.Port) + Suffix
}

// Authority is the name with the listener's port, as in a URL.
func (h Host) Authority() string {
	if h.Listen == 0 {
		return h.String()
	}
	return h.String() + ":" + strconv.Itoa(h.Listen)
}

// Origin is the browser origin of the preview's own pages.
func (h Host) Origin() string { return "http://" + h.Authority() }

// IsPreviewHost reports whether a Host header names something under
// localhost (whatever follows its last colon), which only the proxy
// answers: a malformed name or port there gets the proxy's 400.
func IsPreviewHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		return false
	}
	name := host
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		name = host[:i]
	}
	return isUnderLocalhost(strings.TrimSuffix(strings.ToLower(name), "."))
}

// ParseHost reads a preview Host header: {projectId}-{agentType}-{port}.localhost,
// optionally with a trailing dot and a :port, in any case. The name is read
// from both ends, since agent types contain dashes. Ports are 1 to 65535
// without leading zeros. A Host that is not under localhost returns an
// error matching ErrNotPreview.
func ParseHost(host string) (Host, error) {
	name, listen, err := splitHost(host)
	if err != nil {
		return Host{}, err
	}
	if !isUnderLocalhost(name) {
		return Host{}, fmt.Errorf("host %q: %w; %s", clip(host), ErrNotPreview, hostShape)
	}
	label := name[:len(name)-len(Suffix)]
	if len(label) > maxLabel || strings.Contains(label, ".") {
		return Host{}, fmt.Errorf("host %q: the preview name must be one label of at most %d characters; %s", clip(host), maxLabel, hostShape)
	}
	h := Host{Listen: listen}
	if len(label) < idLen+4 || label[idLen] != '-' || !isID(label[:idLen]) {
		return Host{}, fmt.Errorf("host %q does not start with a project id (12 hex characters) and a dash; %s", clip(host), hostShape)
	}
	h.ProjectID = label[:idLen]
	rest := label[idLen+1:]
	dash := strings.LastIndexByte(rest, '-')
	if dash < 0 {
		return Host{}, fmt.Errorf("host %q names no port after the agent type; %s", clip(host), hostShape)
	}
	h.AgentType = rest[:dash]
	if !isAgentType(h.AgentType) {
		return Host{}, fmt.Errorf("host %q: agent type %q is not lower-case letters, digits and inner dashes; %s", clip(host), h.AgentType, hostShape)
	}
	if h.Port, err = shared.ParsePort(rest[dash+1:]); err != nil {
		return Host{}, fmt.Errorf("host %q: dev server %w", clip(host), err)
	}
	return h, nil
}

// splitHost lower-cases the Host header and splits it into a name without
// its trailing dot and the port after it (0 when none).
func splitHost(host string) (string, int, error) {
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 || host[i] <= ' ' {
			return "", 0, fmt.Errorf("host %q has a character outside printable ASCII; %s", clip(host), hostShape)
		}
	}
	host = strings.ToLower(host)
	name, listen := host, 0
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		if strings.HasPrefix(host, "[") {
			return "", 0, fmt.Errorf("host %q: %w (an IPv6 address)", clip(host), ErrNotPreview)
		}
		p, err := shared.ParsePort(host[i+1:])
		if err != nil {
			return "", 0, fmt.Errorf("host %q: listener %w", clip(host), err)
		}
		name, listen = host[:i], p
	}
	name = strings.TrimSuffix(name, ".")
	return name, listen, nil
}

// isUnderLocalhost reports a name with at least one label before localhost.
func isUnderLocalhost(name string) bool {
	return len(name) > len(Suffix) && strings.HasSuffix(name, Suffix)
}

func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isAgentType(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// clip shortens a header value for a message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
