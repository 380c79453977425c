package shared

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDomain(t *testing.T) {
	tests := []struct {
		name, in, want, errHas string
	}{
		{name: "plain", in: "github.com", want: "github.com"},
		{name: "upper case", in: "GitHub.COM", want: "github.com"},
		{name: "trailing dot", in: "github.com.", want: "github.com"},
		{name: "leading wildcard", in: "*.github.com", want: "github.com"},
		{name: "spaces trimmed", in: "  npmjs.org ", want: "npmjs.org"},
		{name: "idn", in: "bücher.example", want: "xn--bcher-kva.example"},
		{name: "idn upper", in: "BÜCHER.example", want: "xn--bcher-kva.example"},
		{name: "punycode kept", in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{name: "underscore", in: "_acme.example.com", want: "_acme.example.com"},
		{name: "deep", in: "a.b.c.d.example.org", want: "a.b.c.d.example.org"},
		{name: "deny", in: "!gist.github.com", want: "!gist.github.com"},
		{name: "deny canonical", in: " !*.Gist.GitHub.com. ", want: "!gist.github.com"},
		{name: "deny idn", in: "!bücher.example", want: "!xn--bcher-kva.example"},
		{name: "deny alone", in: "!example.org", want: "!example.org"},
		{name: "deny empty", in: "!", errHas: "empty"},
		{name: "deny twice", in: "!!gist.github.com", errHas: "character"},
		{name: "deny inside", in: "gist.!github.com", errHas: "character"},
		{name: "deny space", in: "! gist.github.com", errHas: "character"},
		{name: "deny public suffix", in: "!co.uk", errHas: "public suffix"},
		{name: "deny tld", in: "!com", errHas: "top-level"},
		{name: "deny url", in: "!https://gist.github.com", errHas: "URL"},
		{name: "deny ip", in: "!192.0.2.1", errHas: "IP address"},
		{name: "empty", in: "", errHas: "empty"},
		{name: "url", in: "https://github.com", errHas: "URL"},
		{name: "path", in: "github.com/foo", errHas: "path"},
		{name: "port", in: "github.com:443", errHas: "port"},
		{name: "ipv4", in: "192.0.2.1", errHas: "IP address"},
		{name: "ipv6", in: "2001:db8::1", errHas: "IP address"},
		{name: "ipv6 brackets", in: "[2001:db8::1]", errHas: "IP address"},
		{name: "inner wildcard", in: "api.*.github.com", errHas: "wildcard"},
		{name: "bare star", in: "*", errHas: "wildcard"},
		{name: "tld", in: "com", errHas: "top-level"},
		{name: "public suffix", in: "co.uk", errHas: "public suffix"},
		{name: "shared hosting suffix", in: "github.io", errHas: "public suffix"},
		{name: "wildcard public suffix", in: "*.co.uk", errHas: "public suffix"},
		{name: "empty label", in: "github..com", errHas: "empty label"},
		{name: "escaped dot", in: `evil\.github.com`, errHas: "character"},
		{name: "space inside", in: "git hub.com", errHas: "character"},
		{name: "hyphen edge", in: "-github.com", errHas: "not a valid"},
		{name: "long label", in: strings.Repeat("a", 64) + ".com", errHas: "63"},
		{name: "long name", in: strings.Repeat("abcdefghi.", 26) + "com", errHas: "253"},
		{name: "user", in: "me@github.com", errHas: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDomain(tt.in)
			if tt.errHas != "" {
				require.ErrorIs(t, err, ErrInvalidDomain)
				require.ErrorContains(t, err, tt.errHas)
				require.ErrorContains(t, err, fmt.Sprintf("%q", tt.in), "the error names the bad entry")
				require.ErrorContains(t, err, "expect", "the error says what is accepted")
				return
			}
			require.NoError(t, err)
			require.Equal(t, Domain(tt.want), got)
		})
	}
}

func TestParseDomainsRefusesWholeList(t *testing.T) {
	_, err := ParseDomains([]string{"github.com", "bad/path", "npmjs.org"})
	require.ErrorContains(t, err, `"bad/path"`)

	got, err := ParseDomains([]string{"npmjs.org", "*.github.com", "GITHUB.com.", "!Gist.github.com", "!gist.github.com"})
	require.NoError(t, err)
	require.Equal(t, []Domain{"!gist.github.com", "github.com", "npmjs.org"}, got)
	require.Equal(t, []Domain{"github.com", "npmjs.org"}, AllowEntries(got))
}

func TestDomainDeny(t *testing.T) {
	require.True(t, Domain("!gist.github.com").Deny())
	require.Equal(t, "gist.github.com", Domain("!gist.github.com").Name())
	require.False(t, Domain("github.com").Deny())
	require.Equal(t, "github.com", Domain("github.com").Name())
}

func TestParseMode(t *testing.T) {
	for _, m := range Modes {
		got, err := ParseMode(string(m))
		require.NoError(t, err)
		require.Equal(t, m, got)
	}
	_, err := ParseMode("open")
	require.ErrorContains(t, err, `"open"`)
	require.ErrorContains(t, err, "full, restricted or none")
}

func TestPolicyValidateAndDiff(t *testing.T) {
	_, err := Policy{Mode: "restricted", Domains: []string{"ok.example.com", "http://x.com"}}.Validate()
	require.ErrorContains(t, err, "http://x.com")

	old, err := Policy{Mode: "restricted", Domains: []string{"a.example.com", "b.example.com"}}.Validate()
	require.NoError(t, err)
	next, err := Policy{Mode: "none", Domains: []string{"b.example.com", "c.example.com"}}.Validate()
	require.NoError(t, err)
	added, removed := old.Diff(next)
	require.Equal(t, []Domain{"c.example.com"}, added)
	require.Equal(t, []Domain{"a.example.com"}, removed)
	require.Equal(t, []string{"b.example.com", "c.example.com"}, next.Policy().Domains)

	withDeny, err := Policy{Mode: "restricted", Domains: []string{"github.com", "!gist.github.com"}}.Validate()
	require.NoError(t, err)
	require.Equal(t, []Domain{"!gist.github.com", "github.com"}, withDeny.Domains)
	require.Equal(t, []Domain{"github.com"}, withDeny.Allowed())
	require.Equal(t, []string{"!gist.github.com", "github.com"}, withDeny.Policy().Domains, "deny entries keep their !")
}

func TestParseName(t *testing.T) {
	for in, want := range map[string]string{
		"S3.AmazonAWS.com.": "s3.amazonaws.com",
		"個人.香港":             "xn--gmqw5a.xn--j6w193g",
		"xn--gmqw5a.hk":     "xn--gmqw5a.hk",
		"com":               "com", // no entry rules: a single label is a name
	} {
		got, err := ParseName(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "a..b", "a b.com", `a\.b.com`, "!x.com", strings.Repeat("a", 64) + ".com"} {
		_, err := ParseName(in)
		require.Error(t, err, "%q", in)
		require.ErrorContains(t, err, fmt.Sprintf("%q", in))
	}
}
