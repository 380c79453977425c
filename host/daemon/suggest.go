package daemon

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/warden-sh/warden/host/api/wire"

	"golang.org/x/net/publicsuffix"

	"github.com/warden-sh/warden/host/sharedsuffix"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
)

// Suggestion is the API's wire type (host/api/wire).
type Suggestion = wire.Suggestion

// SuggestionName is the API's wire type (host/api/wire).
type SuggestionName = wire.SuggestionName

// Suggestions groups the names the project's audit log shows refused (DNS
// questions, and connections refused for the name they carried) by the
// entry that would allow them, most refused first. Names the allowlist
// allows by now, and names under a deny entry (which would still win), are
// left out.
func (d *Daemon) Suggestions(ctx context.Context, ref string) ([]Suggestion, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	d.catchUp(ctx, p.ID)
	page, err := d.store.Audit(p.ID, store.Query{Keep: func(e shared.Event) bool {
		return e.Name != "" && (e.Kind == shared.EventDNSRefused || e.Kind == shared.EventNameRefused)
	}})
	if err != nil {
		if isStoreNotFound(err) {
			return nil, notFound(ref)
		}
		return nil, err
	}
	entries, err := shared.ParseDomains(p.Policy().Domains)
	if err != nil {
		return nil, err
	}
	allowed := shared.NewMatcher(entries)
	var denies []shared.Domain
	for _, e := range entries {
		if e.Deny() {
			denies = append(denies, e)
		}
	}
	byEntry := map[string]*Suggestion{}
	byName := map[string]*SuggestionName{}
	for _, r := range page.Records {
		name, err := shared.ParseName(r.Event.Name)
		if err != nil || name != r.Event.Name {
			continue // not a plain DNS name as the sidecar normalises them
		}
		if _, ok := allowed.Lookup(name); ok || deniedName(denies, name) {
			continue
		}
		entry, ok := suggestedEntry(name)
		if !ok {
			continue
		}
		s := byEntry[entry]
		if s == nil {
			s = &Suggestion{Entry: entry}
			byEntry[entry] = s
		}
		s.Count++
		s.LastSeen = later(s.LastSeen, r.Event.Time)
		n := byName[name]
		if n == nil {
			n = &SuggestionName{Name: name}
			byName[name] = n
		}
		n.Count++
		n.LastSeen = later(n.LastSeen, r.Event.Time)
	}
	for name, n := range byName {
		entry, _ := suggestedEntry(name)
		byEntry[entry].Names = append(byEntry[entry].Names, *n)
	}
	out := make([]Suggestion, 0, len(byEntry))
	for _, s := range byEntry {
		slices.SortFunc(s.Names, func(a, b SuggestionName) int {
			return cmp.Or(b.Count-a.Count, b.LastSeen.Compare(a.LastSeen), strings.Compare(a.Name, b.Name))
		})
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Suggestion) int {
		return cmp.Or(b.Count-a.Count, b.LastSeen.Compare(a.LastSeen), strings.Compare(a.Entry, b.Entry))
	})
	return out, nil
}

// suggestedEntry is the entry to allow name by: its registrable domain, or
// the name itself when the domain has public suffixes under it (allowing it
// would allow everyone's names there). Never a public suffix.
func suggestedEntry(name string) (string, bool) {
	for _, cand := range registrableThenName(name) {
		d, err := shared.ParseDomain(cand)
		if err != nil {
			continue // a public suffix, a single label
		}
		if _, covers := sharedsuffix.Covered(d); covers {
			continue
		}
		return string(d), true
	}
	return "", false
}

func registrableThenName(name string) []string {
	reg, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil || reg == name {
		return []string{name}
	}
	return []string{reg, name}
}

// deniedName reports whether a deny entry covers name.
func deniedName(denies []shared.Domain, name string) bool {
	for _, d := range denies {
		if name == d.Name() || strings.HasSuffix(name, "."+d.Name()) {
			return true
		}
	}
	return false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
