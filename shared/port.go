package shared

import "fmt"

// PortAccepted says which port numbers are accepted, for messages.
const PortAccepted = "expect a port from 1 to 65535 in decimal, without leading zeros"

// ParsePort reads a TCP port as it appears in a preview host name or a
// relay request: decimal digits only, 1 to 65535, no sign, no leading zero
// (so every port has exactly one spelling, and "08080" cannot pass for
// 8080 in one place and be refused in another).
func ParsePort(s string) (int, error) {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return 0, fmt.Errorf("port %q: %s", clip(s), PortAccepted)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q: %s", clip(s), PortAccepted)
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("port %q: %s", clip(s), PortAccepted)
	}
	return n, nil
}

// clip shortens a value for a message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
