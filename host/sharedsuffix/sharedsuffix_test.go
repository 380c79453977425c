package sharedsuffix

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/weppos/publicsuffix-go/publicsuffix"

	"github.com/warden-sh/warden/shared"
)

func TestCovered(t *testing.T) {
	tests := []struct {
		entry  shared.Domain
		suffix string // "" when nothing is under it
	}{
		{"amazonaws.com", "s3.amazonaws.com"},
		{"compute.amazonaws.com", "*.compute.amazonaws.com"},
		{"windows.net", "web.core.windows.net"},
		{"core.windows.net", "web.core.windows.net"},
		{"fastly.net", "map.fastly.net"},
		{"my-bucket.s3.amazonaws.com", ""},
		{"github.com", ""},
		{"example.org", ""},
		{"!amazonaws.com", ""}, // a deny entry only takes away
	}
	for _, tt := range tests {
		t.Run(string(tt.entry), func(t *testing.T) {
			got, ok := Covered(tt.entry)
			require.Equal(t, tt.suffix != "", ok)
			require.Equal(t, tt.suffix, got)
		})
	}
}

// Every rule of the list is found from each of its parents that an entry
// could be, so the index misses none.
func TestEveryRuleIsIndexed(t *testing.T) {
	for _, r := range publicsuffix.DefaultRules() {
		if r.Type == publicsuffix.ExceptionType {
			continue
		}
		name, err := shared.ParseName(r.Value)
		require.NoError(t, err, r.Value)
		parent := parentOf(name)
		if r.Type == publicsuffix.WildcardType {
			parent = name
		}
		for ; strings.Contains(parent, "."); parent = parentOf(parent) {
			d, err := shared.ParseDomain(parent)
			if err != nil {
				continue // a suffix itself, refused before this check
			}
			suffix, ok := Covered(d)
			require.True(t, ok, "%s has %s under it", parent, r.Value)
			require.True(t, strings.HasSuffix(suffix, "."+parent), "%s: example %s is under it", parent, suffix)
		}
	}
}
