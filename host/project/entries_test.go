package project

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireFieldError checks a refusal: the field, the value as given and
// words of the message.
func requireFieldError(t *testing.T, err error, field, value string, has ...string) {
	t.Helper()
	var fe *FieldError
	require.True(t, errors.As(err, &fe), "got %v", err)
	require.Equal(t, field, fe.Field)
	require.Equal(t, value, fe.Value)
	for _, h := range has {
		require.Contains(t, fe.Message, h)
	}
}

func TestDenyEntriesAreKeptLikeOthers(t *testing.T) {
	p := build(t, domains("github.com", "!*.Gist.GitHub.com."))
	require.Equal(t, []string{"!gist.github.com", "github.com"}, p.Domains)
	require.Equal(t, []string{"!gist.github.com", "github.com"}, p.Policy().Domains)

	next, err := p.Apply(Patch{AddDomains: []string{"!raw.github.com", "!example.org"}}, later)
	require.NoError(t, err, "a deny entry with no allow entry above it is accepted")
	require.Equal(t, []string{"!example.org", "!gist.github.com", "!raw.github.com", "github.com"}, next.Domains)
	next, err = next.Apply(Patch{RemoveDomains: []string{"!GIST.github.com"}}, later)
	require.NoError(t, err)
	require.Equal(t, []string{"!example.org", "!raw.github.com", "github.com"}, next.Domains)
	require.Equal(t, p.PolicyGen+2, next.PolicyGen)

	_, err = p.Apply(Patch{AddDomains: []string{"!co.uk"}}, later)
	requireFieldError(t, err, "addDomains", "!co.uk", "public suffix")
}

func TestSharedSuffixesRefusedUnlessAsked(t *testing.T) {
	// amazonaws.com covers s3.amazonaws.com, under which anyone has buckets.
	s := validSpec(t)
	domains("github.com", "amazonaws.com")(&s)
	_, err := s.Build(testID, testNow, testTypes)
	requireFieldError(t, err, "domains", "amazonaws.com", "s3.amazonaws.com", "NAME.s3.amazonaws.com", "allowSharedSuffixes", "--allow-shared-suffixes")

	s.AllowSharedSuffixes = true
	p, err := s.Build(testID, testNow, testTypes)
	require.NoError(t, err, "asked for explicitly")
	require.Equal(t, []string{"amazonaws.com", "github.com"}, p.Domains)

	p = base(t)
	tests := []struct {
		name        string
		patch       Patch
		field, bad  string
		has         []string
		wantDomains []string
	}{
		{name: "add", patch: Patch{AddDomains: []string{"example.com", "*.AmazonAWS.com"}},
			field: "addDomains", bad: "amazonaws.com", has: []string{"s3.amazonaws.com"}},
		{name: "replace", patch: Patch{Domains: &[]string{"github.com", "windows.net"}},
			field: "domains", bad: "windows.net", has: []string{"web.core.windows.net"}},
		{name: "wildcard rule", patch: Patch{AddDomains: []string{"compute.amazonaws.com"}},
			field: "addDomains", bad: "compute.amazonaws.com", has: []string{"*.compute.amazonaws.com", "NAME.LABEL.compute.amazonaws.com"}},
		{name: "narrower entry accepted", patch: Patch{AddDomains: []string{"my-bucket.s3.amazonaws.com"}},
			wantDomains: []string{"github.com", "my-bucket.s3.amazonaws.com", "npmjs.org"}},
		{name: "deny entry over shared suffixes accepted", patch: Patch{AddDomains: []string{"!amazonaws.com"}},
			wantDomains: []string{"!amazonaws.com", "github.com", "npmjs.org"}},
		{name: "asked for", patch: Patch{AddDomains: []string{"amazonaws.com"}, AllowSharedSuffixes: true},
			wantDomains: []string{"amazonaws.com", "github.com", "npmjs.org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := p.Apply(tt.patch, later)
			if tt.field != "" {
				requireFieldError(t, err, tt.field, tt.bad, tt.has...)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantDomains, next.Domains)
		})
	}

	// An entry accepted once stays: editing the rest of the list does not
	// ask again.
	wide, err := p.Apply(Patch{AddDomains: []string{"amazonaws.com"}, AllowSharedSuffixes: true}, later)
	require.NoError(t, err)
	next, err := wide.Apply(Patch{Domains: &[]string{"amazonaws.com", "example.com"}}, later)
	require.NoError(t, err)
	require.Equal(t, []string{"amazonaws.com", "example.com"}, next.Domains)
	next, err = wide.Apply(Patch{AddDomains: []string{"amazonaws.com", "example.com"}}, later)
	require.NoError(t, err)
	require.Equal(t, []string{"amazonaws.com", "example.com", "github.com", "npmjs.org"}, next.Domains)
}

func TestGrantRefusesWhatItCannotMean(t *testing.T) {
	p := build(t, domains("github.com", "!gist.github.com"))
	tests := []struct {
		name, domain string
		has          []string
	}{
		{"a deny entry", "!example.com", []string{"is a deny entry"}},
		{"the denied name", "Gist.GitHub.com", []string{"!gist.github.com", "wins"}},
		{"a name under it", "raw.gist.github.com", []string{"!gist.github.com"}},
		{"shared suffixes", "amazonaws.com", []string{"s3.amazonaws.com", "allowlist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := p.WithGrant(tt.domain, time.Hour, later)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "got %v", err)
			require.Equal(t, "domain", fe.Field)
			for _, h := range tt.has {
				require.Contains(t, fe.Message, h)
			}
		})
	}
	next, g, err := p.WithGrant("notgist.github.com", time.Hour, later)
	require.NoError(t, err)
	require.Equal(t, "notgist.github.com", g.Domain)
	require.Contains(t, next.Policy().Domains, "!gist.github.com", "the deny entry stays in the policy")
}
