package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
)

// DryRun is the API's wire type (host/api/wire).
type DryRun = wire.DryRun

// DryRunUpdate checks patch as Update would and reports which of the
// audit log's first contacts the edited policy would refuse. It changes
// nothing.
func (d *Daemon) DryRunUpdate(ctx context.Context, ref string, patch project.Patch) (DryRun, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return DryRun{}, err
	}
	next, err := p.Apply(patch, d.now())
	if err != nil {
		var fe *project.FieldError
		if errors.As(err, &fe) {
			return DryRun{}, err
		}
		return DryRun{}, fmt.Errorf("checking the edit of project %s: %w", p.ID, err)
	}
	d.catchUp(ctx, p.ID)
	page, err := d.store.Audit(p.ID, store.Query{Keep: shared.Event.Allowed})
	if err != nil {
		if isStoreNotFound(err) {
			return DryRun{}, notFound(ref)
		}
		return DryRun{}, err
	}
	now, err := allows(p.Policy())
	if err != nil {
		return DryRun{}, err
	}
	after, err := allows(next.Policy())
	if err != nil {
		return DryRun{}, err
	}
	latest := map[string]AuditRecord{}
	for _, r := range page.Records {
		if now(r.Event.Name) && !after(r.Event.Name) {
			latest[r.Event.Name] = AuditRecord{Seq: r.Seq, Project: p.ID, Event: r.Event}
		}
	}
	out := slices.SortedFunc(maps.Values(latest), func(a, b AuditRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	if out == nil {
		out = []AuditRecord{}
	}
	return DryRun{DryRun: true, Project: next, WouldRefuse: out}, nil
}

// allows returns whether a policy lets the agent reach a name: every name in
// full mode, none in mode none, the allowlist's in restricted mode.
func allows(p shared.Policy) (func(name string) bool, error) {
	switch p.Mode {
	case shared.ModeFull:
		return func(string) bool { return true }, nil
	case shared.ModeNone:
		return func(string) bool { return false }, nil
	}
	entries, err := shared.ParseDomains(p.Domains)
	if err != nil {
		return nil, fmt.Errorf("reading the allowlist: %w", err)
	}
	m := shared.NewMatcher(entries)
	return func(name string) bool {
		_, ok := m.Lookup(name)
		return ok
	}, nil
}
