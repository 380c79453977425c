package shared

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatcher(t *testing.T) {
	m := NewMatcher([]Domain{"github.com", "xn--bcher-kva.example", "api.openai.com"})
	tests := []struct {
		qname string
		entry Domain
		ok    bool
	}{
		{"github.com.", "github.com", true},
		{"github.com", "github.com", true},
		{"api.github.com.", "github.com", true},
		{"a.b.c.github.com.", "github.com", true},
		{"GitHub.COM.", "github.com", true},
		{"API.GITHUB.com", "github.com", true},
		{"evilgithub.com.", "", false},
		{"github.com.evil.net.", "", false},
		{"github.co.", "", false},
		{"com.", "", false},
		{".", "", false},
		{"", "", false},
		{`evil\.github.com.`, "", false},
		{`api\046github.com.`, "", false},
		{"github.com..", "", false},
		{"..github.com.", "", false},
		{"xn--bcher-kva.example.", "xn--bcher-kva.example", true},
		{"shop.XN--BCHER-KVA.example.", "xn--bcher-kva.example", true},
		{"openai.com.", "", false},
		{"api.openai.com.", "api.openai.com", true},
		{"x.api.openai.com.", "api.openai.com", true},
		{strings.Repeat("a.", 130) + "github.com.", "", false},
		{"a b.github.com.", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.qname, func(t *testing.T) {
			entry, ok := m.Match(tt.qname)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.entry, entry)
		})
	}
	var empty *Matcher
	_, ok := empty.Match("github.com")
	require.False(t, ok)
}

func TestMatcherDenyEntries(t *testing.T) {
	m := NewMatcher([]Domain{
		"github.com", "!gist.github.com", // a deny entry under an allow entry
		"api.gist.github.com",       // an allow entry under a deny entry: the deny entry wins
		"!example.org",              // a deny entry alone
		"openai.com", "!openai.com", // the same name both ways
		"shop.example.net", "!example.net", // a deny entry above an allow entry
	})
	tests := []struct {
		qname string
		entry Domain
		ok    bool
	}{
		{"github.com.", "github.com", true},
		{"api.github.com.", "github.com", true},
		{"gist.github.com.", "", false},
		{"GIST.GitHub.com", "", false},
		{"raw.gist.github.com.", "", false},
		{"a.b.gist.github.com.", "", false},
		{"api.gist.github.com.", "", false},
		{"x.api.gist.github.com.", "", false},
		{"gistgithub.com.", "", false},
		{"notgist.github.com.", "github.com", true},
		{"gist.github.com.evil.net.", "", false},
		{"example.org.", "", false},
		{"www.example.org.", "", false},
		{"openai.com.", "", false},
		{"api.openai.com.", "", false},
		{"shop.example.net.", "", false},
		{"x.shop.example.net.", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.qname, func(t *testing.T) {
			entry, ok := m.Match(tt.qname)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.entry, entry)
			if name, valid := NormalizeQueryName(tt.qname); valid {
				entry, ok = m.Lookup(name)
				require.Equal(t, tt.ok, ok, "Lookup agrees with Match")
				require.Equal(t, tt.entry, entry)
			}
		})
	}
	require.Equal(t, 8, m.Len())

	// Before the deny entry, the attack works: gist.github.com is allowed
	// through github.com.
	open := NewMatcher([]Domain{"github.com"})
	entry, ok := open.Match("gist.github.com.")
	require.True(t, ok)
	require.Equal(t, Domain("github.com"), entry)

	onlyDeny := NewMatcher([]Domain{"!gist.github.com"})
	_, ok = onlyDeny.Match("gist.github.com.")
	require.False(t, ok, "a deny entry alone allows nothing")
	_, ok = onlyDeny.Match("github.com.")
	require.False(t, ok)
}

func FuzzParseDomain(f *testing.F) {
	for _, s := range []string{"github.com", "*.github.com", "bücher.example", "co.uk", "a..b", `x\.y.com`, "1.2.3.4", "[::1]:53", "xn--.com",
		"!gist.github.com", "!*.gist.github.com", "!!x.com", "!", "!co.uk"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDomain(s)
		if err != nil {
			return
		}
		// A parsed entry is canonical: parsing it again is a no-op, and it
		// matches itself and its subdomains but not a name merely ending in it.
		again, err := ParseDomain(string(d))
		if err != nil || again != d {
			t.Fatalf("entry %q parsed to %q, which reparses to %q, %v", s, d, again, err)
		}
		if len(d) > MaxNameLen {
			t.Fatalf("entry %q parsed to an over-long name", s)
		}
		if d.Deny() {
			// A deny entry refuses its name even when the same name is
			// allowed, and allows nothing on its own.
			name := d.Name()
			if _, err := ParseDomain(name); err != nil {
				t.Fatalf("deny entry %q has a name %q that does not parse: %v", d, name, err)
			}
			for _, m := range []*Matcher{NewMatcher([]Domain{d}), NewMatcher([]Domain{Domain(name), d})} {
				if got, ok := m.Match(name + "."); ok {
					t.Fatalf("deny entry %q lets %q through as %q", d, name, got)
				}
				if len(name) < MaxNameLen-4 {
					if got, ok := m.Match("x." + name); ok {
						t.Fatalf("deny entry %q lets x.%s through as %q", d, name, got)
					}
				}
			}
			return
		}
		m := NewMatcher([]Domain{d})
		if got, ok := m.Match(string(d) + "."); !ok || got != d {
			t.Fatalf("entry %q does not match itself", d)
		}
		if len(d) < MaxNameLen-4 {
			if _, ok := m.Match("x." + string(d)); !ok {
				t.Fatalf("entry %q does not match its subdomain", d)
			}
			if _, ok := NewMatcher([]Domain{d, Domain("!x." + string(d))}).Match("x." + string(d)); ok {
				t.Fatalf("!x.%s does not beat %q", d, d)
			}
		}
		if _, ok := m.Match("x" + string(d)); ok {
			t.Fatalf("entry %q matches x%s", d, d)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"api.github.com.", "evilgithub.com.", `a\.github.com.`, "GITHUB.COM", "github.com.evil.net.",
		"gist.github.com.", "x.GIST.github.com", "gist.github.com..", "notgist.github.com."} {
		f.Add(s)
	}
	m := NewMatcher([]Domain{"github.com", "!gist.github.com"})
	f.Fuzz(func(t *testing.T, q string) {
		entry, ok := m.Match(q)
		if !ok {
			return
		}
		name, _ := NormalizeQueryName(q)
		if entry != "github.com" || (name != "github.com" && !strings.HasSuffix(name, ".github.com")) {
			t.Fatalf("%q matched %q", q, entry)
		}
		if name == "gist.github.com" || strings.HasSuffix(name, ".gist.github.com") {
			t.Fatalf("%q matched %q under the deny entry !gist.github.com", q, entry)
		}
	})
}

// BenchmarkMatcherLookup measures a lookup with and without deny entries:
// with none, the first allow entry found answers; with some, every label
// is checked for a deny entry above it.
func BenchmarkMatcherLookup(b *testing.B) {
	var allow []Domain
	for i := range 200 {
		allow = append(allow, Domain(fmt.Sprintf("site%d.example.com", i)))
	}
	deny := append(slices.Clone(allow), "!gist.site7.example.com", "!x.site8.example.com")
	for _, bc := range []struct {
		name    string
		entries []Domain
	}{{"allow only", allow}, {"with deny entries", deny}} {
		m := NewMatcher(bc.entries)
		for _, q := range []string{"a.b.site7.example.com", "nothing.example.org"} {
			b.Run(bc.name+"/"+q, func(b *testing.B) {
				for b.Loop() {
					m.Lookup(q)
				}
			})
		}
	}
}
