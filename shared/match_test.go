package shared

import (
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

func FuzzParseDomain(f *testing.F) {
	for _, s := range []string{"github.com", "*.github.com", "bücher.example", "co.uk", "a..b", `x\.y.com`, "1.2.3.4", "[::1]:53", "xn--.com"} {
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
		m := NewMatcher([]Domain{d})
		if got, ok := m.Match(string(d) + "."); !ok || got != d {
			t.Fatalf("entry %q does not match itself", d)
		}
		if len(d) < MaxNameLen-4 {
			if _, ok := m.Match("x." + string(d)); !ok {
				t.Fatalf("entry %q does not match its subdomain", d)
			}
		}
		if _, ok := m.Match("x" + string(d)); ok {
			t.Fatalf("entry %q matches x%s", d, d)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"api.github.com.", "evilgithub.com.", `a\.github.com.`, "GITHUB.COM", "github.com.evil.net."} {
		f.Add(s)
	}
	m := NewMatcher([]Domain{"github.com"})
	f.Fuzz(func(t *testing.T, q string) {
		entry, ok := m.Match(q)
		if !ok {
			return
		}
		name, _ := NormalizeQueryName(q)
		if entry != "github.com" || (name != "github.com" && !strings.HasSuffix(name, ".github.com")) {
			t.Fatalf("%q matched %q", q, entry)
		}
	})
}
