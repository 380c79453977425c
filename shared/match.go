package shared

import "strings"

// Matcher answers whether a query name is on an allowlist. Lookups walk the
// name's suffixes label by label, so github.com matches api.github.com but
// never evilgithub.com nor github.com.evil.net. A deny entry on any of the
// suffixes wins over every allow entry. A Matcher is read-only once built
// and safe for concurrent use.
type Matcher struct {
	allow map[string]Domain
	deny  map[string]Domain // by name, without the "!"
}

// NewMatcher builds a matcher over canonical entries (see ParseDomain).
func NewMatcher(domains []Domain) *Matcher {
	m := &Matcher{allow: make(map[string]Domain, len(domains))}
	for _, d := range domains {
		if d.Deny() {
			if m.deny == nil {
				m.deny = make(map[string]Domain)
			}
			m.deny[d.Name()] = d
			continue
		}
		m.allow[string(d)] = d
	}
	return m
}

// Match reports the allow entry that covers qname, if any and if no deny
// entry covers it. qname may be in any case and may end with a dot; names
// that NormalizeQueryName refuses never match.
func (m *Matcher) Match(qname string) (Domain, bool) {
	if m == nil || len(m.allow) == 0 {
		return "", false
	}
	name, ok := NormalizeQueryName(qname)
	if !ok {
		return "", false
	}
	return m.Lookup(name)
}

// Lookup is Match for a name already normalised by NormalizeQueryName, for
// callers that normalise once for several uses. The entry it returns is the
// closest allow entry, never a deny entry.
func (m *Matcher) Lookup(name string) (Domain, bool) {
	if m == nil || len(m.allow) == 0 {
		return "", false
	}
	var found Domain
	for {
		if _, denied := m.deny[name]; denied {
			return "", false
		}
		if found == "" {
			if d, ok := m.allow[name]; ok {
				if len(m.deny) == 0 {
					return d, true
				}
				found = d // a deny entry further up may still win
			}
		}
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return found, found != ""
		}
		name = name[i+1:]
	}
}

// Len is the number of entries, allow and deny.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.allow) + len(m.deny)
}
