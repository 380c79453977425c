package shared

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// MaxNameLen is the longest domain name, in presentation form without the
// trailing dot, that DNS can carry.
const MaxNameLen = 253

// Domain is one allowlist entry in canonical form: lower case, punycode,
// no trailing dot, no leading "*.". An allow entry (github.com) covers the
// name and every name under it. A deny entry is the same with a leading "!"
// (!gist.github.com): it refuses its name and every name under it, whatever
// allow entry also covers them.
type Domain string

// DenyPrefix starts a deny entry.
const DenyPrefix = "!"

// Deny reports whether d is a deny entry.
func (d Domain) Deny() bool { return strings.HasPrefix(string(d), DenyPrefix) }

// Name is the domain name of the entry, without a deny entry's "!".
func (d Domain) Name() string { return strings.TrimPrefix(string(d), DenyPrefix) }

// ErrInvalidDomain marks every refusal of ParseDomain.
var ErrInvalidDomain = errors.New("invalid domain entry")

const domainAccepted = "expect a domain name such as github.com or *.github.com, or !gist.github.com to deny a name " +
	"under an allowed one (no scheme, port, path or IP address)"

var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false), // underscores appear in real names (_acme-challenge)
	idna.BidiRule(),
)

// ParseDomain validates one allowlist entry and returns its canonical form.
// A leading "*." is accepted and means the same as the bare name; a leading
// "!" makes a deny entry, whose name is checked like any other.
// It refuses URLs, ports, paths, IP addresses, public suffixes (com, co.uk,
// github.io) and anything that is not a valid DNS name.
func ParseDomain(entry string) (Domain, error) {
	bad := func(why string) (Domain, error) {
		return "", fmt.Errorf("%w %q: %s; %s", ErrInvalidDomain, entry, why, domainAccepted)
	}
	s := strings.TrimSpace(entry)
	s, deny := strings.CutPrefix(s, DenyPrefix)
	switch {
	case s == "":
		return bad("empty")
	case strings.Contains(s, "://"):
		return bad("looks like a URL")
	case strings.ContainsAny(s, "/?#"):
		return bad("contains a path")
	case !utf8.ValidString(s):
		return bad("not valid UTF-8")
	case strings.Contains(s, "@"):
		return bad("contains a user name")
	}
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return bad("is an IP address")
	}
	if strings.Contains(s, ":") {
		return bad("contains a port")
	}
	s = strings.TrimPrefix(s, "*.")
	if strings.Contains(s, "*") {
		return bad("a wildcard is accepted only as a leading *.")
	}
	s = strings.TrimSuffix(s, ".")
	ascii, err := idnaProfile.ToASCII(s)
	if err != nil {
		return bad("not a valid international name")
	}
	ascii = strings.ToLower(ascii)
	if again, err := idnaProfile.ToASCII(ascii); err != nil || again != ascii {
		return bad("not a valid international name")
	}
	if err := checkName(ascii); err != nil {
		return bad(err.Error())
	}
	if !strings.Contains(ascii, ".") {
		return bad("a single label would allow a whole top-level domain")
	}
	if suffix, _ := publicsuffix.PublicSuffix(ascii); suffix == ascii {
		return bad("is a public suffix, which would allow every site under it")
	}
	if _, err := netip.ParseAddr(ascii); err == nil {
		return bad("is an IP address")
	}
	if deny {
		return Domain(DenyPrefix + ascii), nil
	}
	return Domain(ascii), nil
}

// ParseName turns a domain name, Unicode or not, into the form entries are
// stored in (punycode, lower case, no trailing dot) by the same rules as
// ParseDomain, without an entry's other checks (public suffix, single
// label, "!", "*.").
func ParseName(name string) (string, error) {
	ascii, err := idnaProfile.ToASCII(strings.TrimSuffix(name, "."))
	if err != nil {
		return "", fmt.Errorf("converting %q to ASCII: %w", name, err)
	}
	ascii = strings.ToLower(ascii)
	if err := checkName(ascii); err != nil {
		return "", fmt.Errorf("name %q: %w", name, err)
	}
	return ascii, nil
}

// checkName accepts names of letters, digits, hyphens and underscores,
// with labels of 1 to 63 bytes that neither start nor end with a hyphen.
func checkName(name string) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("longer than %d bytes", MaxNameLen)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return errors.New("has an empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label %q is longer than 63 bytes", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for i := 0; i < len(label); i++ {
			if !isNameByte(label[i]) {
				return fmt.Errorf("label %q has the character %q", label, label[i])
			}
		}
	}
	return nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// ParseDomains parses every entry, refusing the whole list at the first bad
// one, and returns the canonical entries sorted with duplicates removed.
func ParseDomains(entries []string) ([]Domain, error) {
	seen := make(map[Domain]bool, len(entries))
	out := make([]Domain, 0, len(entries))
	for _, e := range entries {
		d, err := ParseDomain(e)
		if err != nil {
			return nil, err
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// AllowEntries returns the allow entries of ds, in order, without the deny
// entries: the names that may be resolved and whose addresses may be let
// through. A deny entry is never looked up nor given addresses.
func AllowEntries(ds []Domain) []Domain {
	out := make([]Domain, 0, len(ds))
	for _, d := range ds {
		if !d.Deny() {
			out = append(out, d)
		}
	}
	return out
}

// NormalizeQueryName turns a name from a DNS question into the form entries
// are stored in: lower case, no trailing dot. It refuses names that could not
// be an allowlist entry's subdomain (escaped bytes, empty labels, over-long),
// so an odd spelling can never slip past a label comparison.
func NormalizeQueryName(qname string) (string, bool) {
	name := strings.ToLower(strings.TrimSuffix(qname, "."))
	if name == "" || checkName(name) != nil {
		return "", false
	}
	return name, true
}
