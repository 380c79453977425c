package shared

import "strings"

// Matcher answers whether a query name is on an allowlist. Lookups walk the
// name's suffixes label by label, so github.com matches api.github.com but
// never evilgithub.com nor github.com.evil.net. A Matcher is read-only once
// built and safe for concurrent use.
type Matcher struct {
	entries map[string]Domain
}

// NewMatcher builds a matcher over canonical entries (see ParseDomain).
func NewMatcher(domains []Domain) *Matcher {
	m := &Matcher{entries: make(map[string]Domain, len(domains))}
	for _, d := range domains {
		m.entries[string(d)] = d
	}
	return m
}

// Match reports the allowlist entry that covers qname, if any. qname may be in
// any case and may end with a dot; names that NormalizeQueryName refuses never
// match.
func (m *Matcher) Match(qname string) (Domain, bool) {
	if m == nil || len(m.entries) == 0 {
		return "", false
	}
	name, ok := NormalizeQueryName(qname)
	if !ok {
		return "", false
	}
	return m.Lookup(name)
}

// Lookup is Match for a name already normalised by NormalizeQueryName, for
// callers that normalise once for several uses.
func (m *Matcher) Lookup(name string) (Domain, bool) {
	if m == nil || len(m.entries) == 0 {
		return "", false
	}
	for {
		if d, ok := m.entries[name]; ok {
			return d, true
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return "", false
		}
		name = name[i+1:]
	}
}

// Len is the number of entries.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}
