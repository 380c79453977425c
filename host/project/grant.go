package project

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/sharedsuffix"
	"github.com/warden-sh/warden/shared"
)

// A grant allows one name for a while: the user saw the agent blocked and
// chose "allow for an hour" rather than adding the name for good. Grants
// are stored with the project, so they outlive a daemon restart, and they
// are part of the policy (Policy) until the daemon removes them at
// ExpiresAt.
type Grant struct {
	Domain    string    `json:"domain"` // canonical allowlist entry
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Bounds of a grant's lifetime, and of how many a project holds.
const (
	MinGrantTTL = time.Second
	MaxGrantTTL = 7 * 24 * time.Hour
	MaxGrants   = 256
)

const ttlAccepted = "expect a whole number of seconds from 1 to 604800 (7 days)"

// GrantTTL turns a lifetime given in whole seconds (as the API takes it)
// into a duration, refusing one outside MinGrantTTL..MaxGrantTTL with a
// *FieldError for the field ttlSeconds.
func GrantTTL(seconds int64) (time.Duration, error) {
	if seconds < int64(MinGrantTTL/time.Second) || seconds > int64(MaxGrantTTL/time.Second) {
		return 0, fieldError("ttlSeconds", strconv.FormatInt(seconds, 10), "is out of range; %s", ttlAccepted)
	}
	return time.Duration(seconds) * time.Second, nil
}

func checkGrantTTL(ttl time.Duration) error {
	if ttl < MinGrantTTL || ttl > MaxGrantTTL {
		return fieldError("ttlSeconds", ttl.String(), "is out of range; %s", ttlAccepted)
	}
	return nil
}

// WithGrant returns the project with domain allowed until now+ttl. A grant
// for the same name is replaced, so asking again extends (or shortens) it.
// PolicyGen is bumped: the sidecar must hear of it.
func (p Project) WithGrant(domain string, ttl time.Duration, now time.Time) (Project, Grant, error) {
	d, err := parseDomain("domain", domain)
	if err != nil {
		return Project{}, Grant{}, err
	}
	if err := p.checkGrantName(d); err != nil {
		return Project{}, Grant{}, err
	}
	if err := checkGrantTTL(ttl); err != nil {
		return Project{}, Grant{}, err
	}
	now = now.UTC()
	g := Grant{Domain: d, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	next := p.Clone()
	next.Grants = slices.DeleteFunc(next.Grants, func(o Grant) bool { return o.Domain == d })
	if len(next.Grants) >= MaxGrants {
		return Project{}, Grant{}, fieldError("domain", d, "would be grant number %d; a project holds at most %d (remove one, or add the name for good)",
			len(next.Grants)+1, MaxGrants)
	}
	next.Grants = append(next.Grants, g)
	sortGrants(next.Grants)
	next.PolicyGen++
	next.UpdatedAt = now
	return next, g, nil
}

// checkGrantName refuses what a grant cannot mean: a deny entry, a name
// under one of the project's deny entries (which would still win), and an
// entry over shared suffixes, which belongs on the allowlist if anywhere.
func (p Project) checkGrantName(d string) error {
	if shared.Domain(d).Deny() {
		return fieldError("domain", d, "is a deny entry; a grant allows a name for a while, so expect a name such as example.com (deny entries go on the allowlist)")
	}
	for name := d; name != ""; {
		if deny := shared.DenyPrefix + name; slices.Contains(p.Domains, deny) {
			return fieldError("domain", d, "is under the project's deny entry %s, which wins over any grant; "+
				"expect a name no deny entry covers, or remove %s from the allowlist first", deny, deny)
		}
		_, name, _ = strings.Cut(name, ".")
	}
	if suffix, ok := sharedsuffix.Covered(shared.Domain(d)); ok {
		return sharedSuffixError("domain", d, suffix,
			"add it to the allowlist with allowSharedSuffixes if you mean every name under it")
	}
	return nil
}

// WithoutGrant returns the project without the grant for domain; found is
// false (and the project unchanged) when there is none.
func (p Project) WithoutGrant(domain string, now time.Time) (next Project, found bool) {
	d, err := parseDomain("domain", domain)
	if err != nil {
		d = domain // a stored entry is removable by its exact spelling
	}
	i := slices.IndexFunc(p.Grants, func(g Grant) bool { return g.Domain == d })
	if i < 0 {
		return p, false
	}
	next = p.Clone()
	next.Grants = slices.Delete(next.Grants, i, i+1)
	if len(next.Grants) == 0 {
		next.Grants = nil
	}
	next.PolicyGen++
	next.UpdatedAt = now.UTC()
	return next, true
}

// WithoutExpired returns the project without the grants expired at now,
// and those grants; the project is unchanged when none has.
func (p Project) WithoutExpired(now time.Time) (Project, []Grant) {
	var expired []Grant
	for _, g := range p.Grants {
		if !now.Before(g.ExpiresAt) {
			expired = append(expired, g)
		}
	}
	if len(expired) == 0 {
		return p, nil
	}
	next := p.Clone()
	next.Grants = slices.DeleteFunc(next.Grants, func(g Grant) bool { return !now.Before(g.ExpiresAt) })
	if len(next.Grants) == 0 {
		next.Grants = nil
	}
	next.PolicyGen++
	next.UpdatedAt = now.UTC()
	return next, expired
}

// NextExpiry is when the project's first grant expires; ok is false when it
// has none.
func (p Project) NextExpiry() (at time.Time, ok bool) {
	for _, g := range p.Grants {
		if !ok || g.ExpiresAt.Before(at) {
			at, ok = g.ExpiresAt, true
		}
	}
	return at, ok
}

// sortGrants orders grants by name, so a project reads the same whatever
// order they were given in.
func sortGrants(gs []Grant) {
	slices.SortFunc(gs, func(a, b Grant) int { return strings.Compare(a.Domain, b.Domain) })
}
