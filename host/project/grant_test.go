package project

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWithGrant(t *testing.T) {
	p := base(t)
	next, g, err := p.WithGrant("Blocked.Example.", time.Hour, later)
	require.NoError(t, err)
	require.Equal(t, Grant{Domain: "blocked.example", CreatedAt: later, ExpiresAt: later.Add(time.Hour)}, g)
	require.Equal(t, []Grant{g}, next.Grants)
	require.Equal(t, p.PolicyGen+1, next.PolicyGen, "the sidecar must hear of a grant")
	require.Equal(t, later, next.UpdatedAt)
	require.Empty(t, p.Grants, "the original is untouched")
	require.Equal(t, []string{"blocked.example", "github.com", "npmjs.org"}, next.Policy().Domains)
	require.Equal(t, []string{"github.com", "npmjs.org"}, next.Domains, "a grant is not an allowlist entry")

	again, g2, err := next.WithGrant("blocked.example", 2*time.Hour, later.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, again.Grants, 1, "asking again replaces the grant")
	require.Equal(t, later.Add(time.Minute+2*time.Hour), g2.ExpiresAt)
}

func TestWithGrantRefuses(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		ttl    time.Duration
		field  string
	}{
		{"bad name", "not a name!", time.Hour, "domain"},
		{"empty name", "", time.Hour, "domain"},
		{"zero lifetime", "example.com", 0, "ttlSeconds"},
		{"too long", "example.com", MaxGrantTTL + time.Second, "ttlSeconds"},
		{"negative", "example.com", -time.Second, "ttlSeconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := base(t).WithGrant(tt.domain, tt.ttl, later)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "got %v", err)
			require.Equal(t, tt.field, fe.Field)
		})
	}
}

func TestWithGrantCapsTheCount(t *testing.T) {
	p := base(t)
	for i := range MaxGrants {
		var err error
		p, _, err = p.WithGrant(string(rune('a'+i%26))+string(rune('a'+i/26))+".example", time.Hour, later)
		require.NoError(t, err)
	}
	_, _, err := p.WithGrant("one-more.example", time.Hour, later)
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	_, _, err = p.WithGrant("aa.example", time.Hour, later)
	require.NoError(t, err, "replacing a grant is not one more")
}

func TestWithoutGrant(t *testing.T) {
	p, _, err := base(t).WithGrant("blocked.example", time.Hour, later)
	require.NoError(t, err)
	next, found := p.WithoutGrant("BLOCKED.example", later)
	require.True(t, found)
	require.Nil(t, next.Grants)
	require.Equal(t, p.PolicyGen+1, next.PolicyGen)
	require.Len(t, p.Grants, 1, "the original is untouched")

	same, found := next.WithoutGrant("blocked.example", later)
	require.False(t, found)
	require.Equal(t, next, same, "removing what is gone changes nothing")
}

func TestWithoutExpired(t *testing.T) {
	p := base(t)
	p, _, _ = p.WithGrant("short.example", time.Minute, later)
	p, _, _ = p.WithGrant("long.example", time.Hour, later)
	at, ok := p.NextExpiry()
	require.True(t, ok)
	require.Equal(t, later.Add(time.Minute), at)

	same, expired := p.WithoutExpired(later.Add(59 * time.Second))
	require.Empty(t, expired)
	require.Equal(t, p, same)

	next, expired := p.WithoutExpired(later.Add(time.Minute))
	require.Equal(t, []string{"short.example"}, grantNames(expired), "a grant ends at its expiry time")
	require.Equal(t, []string{"long.example"}, grantNames(next.Grants))
	require.Equal(t, p.PolicyGen+1, next.PolicyGen)
	require.NotContains(t, next.Policy().Domains, "short.example")

	gone, expired := next.WithoutExpired(later.Add(2 * time.Hour))
	require.Len(t, expired, 1)
	require.Nil(t, gone.Grants)
	_, ok = gone.NextExpiry()
	require.False(t, ok)
}

func TestGrantsSurviveJSON(t *testing.T) {
	p, _, err := base(t).WithGrant("blocked.example", time.Hour, later)
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var back Project
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, p.Grants, back.Grants)
	require.Equal(t, Env{"A": EnvSet}, back.Env, "JSON never carries an env value")
	back.Env = p.Env
	require.Equal(t, p, back)

	plain := base(t)
	b, err = json.Marshal(plain)
	require.NoError(t, err)
	require.NotContains(t, string(b), "grants", "a project without grants reads as before")
}

func grantNames(gs []Grant) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Domain)
	}
	return out
}
