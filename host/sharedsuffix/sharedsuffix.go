package sharedsuffix

import (
	"strings"
	"sync"

	"github.com/weppos/publicsuffix-go/publicsuffix"

	"github.com/warden-sh/warden/shared"
)

// index maps each name that has public suffixes under it to the closest one
// (the shortest, then the first in byte order), as an entry would be
// written: "s3.amazonaws.com", or "*.compute.amazonaws.com" for a wildcard
// rule.
var index = sync.OnceValue(build)

// Covered reports a public suffix under the allowlist entry's name, if there
// is one. A deny entry covers nothing: it only takes away.
func Covered(entry shared.Domain) (suffix string, ok bool) {
	if entry.Deny() {
		return "", false
	}
	suffix, ok = index()[entry.Name()]
	return suffix, ok
}

func build() map[string]string {
	rules := publicsuffix.DefaultRules()
	idx := make(map[string]string, len(rules))
	for _, r := range rules {
		if r.Type == publicsuffix.ExceptionType {
			continue // an exception names a registrable domain, not a suffix
		}
		name, err := shared.ParseName(r.Value)
		if err != nil {
			continue // not a name an entry could ever be
		}
		example, parent := name, parentOf(name)
		if r.Type == publicsuffix.WildcardType {
			// Every name directly under a wildcard rule is a suffix, so
			// the rule's own name already has suffixes under it.
			example, parent = "*."+name, name
		}
		for ; parent != ""; parent = parentOf(parent) {
			if cur, ok := idx[parent]; !ok || closer(example, cur) {
				idx[parent] = example
			}
		}
	}
	return idx
}

// parentOf drops the first label; it returns "" for a single label.
func parentOf(name string) string {
	_, rest, ok := strings.Cut(name, ".")
	if !ok {
		return ""
	}
	return rest
}

func closer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
