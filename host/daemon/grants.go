package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/warden-sh/warden/host/project"
)

// Grants are names allowed for a while (project.Grant). They are stored in
// the project, so the policy every push sends includes them; expireGrants
// removes each from the store when it expires and has the new policy pushed
// to a running sidecar.
//
//	AddGrant ──► store (PolicyGen+1) ──► push ──► sidecar allows the name
//	    └─ wake ──► expireGrants: sleeps until the first expiry,
//	                removes it (PolicyGen+1) ──► kick(push) ──► sidecar refuses it again

// maxGrantSleep bounds the expiry loop's sleep, so a wall-clock jump (a
// laptop waking up) is noticed within a minute.
const maxGrantSleep = time.Minute

// GrantResult is the answer to a new grant: the project as stored, the
// grant, and what became of the policy push (zero when the project is not
// running: its sidecar reads the policy when it starts).
type GrantResult struct {
	Project project.Project `json:"project"`
	Grant   project.Grant   `json:"grant"`
	Push    PushResult      `json:"push"`
}

// AddGrant allows domain on the project for ttl, replacing an earlier grant
// for the same name, and pushes the policy when the project is running. A
// bad name or lifetime returns the *project.FieldError.
func (d *Daemon) AddGrant(ctx context.Context, ref, domain string, ttl time.Duration) (GrantResult, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return GrantResult{}, err
	}
	var g project.Grant
	updated, err := d.store.Update(p.ID, func(cur project.Project) (project.Project, error) {
		next, grant, err := cur.WithGrant(domain, ttl, d.now())
		g = grant
		return next, err
	})
	if err != nil {
		return GrantResult{}, d.grantError(ref, p.ID, err)
	}
	d.wakeGrants()
	d.log.Info("grant added", "project", p.ID, "domain", g.Domain, "expires", g.ExpiresAt, "gen", updated.PolicyGen)
	res := GrantResult{Project: updated, Grant: g}
	if updated.Desired == project.DesiredRunning {
		var latest project.Project
		res.Push, latest = d.push(ctx, p.ID)
		if latest.ID != "" {
			res.Project = latest
		}
	}
	return res, nil
}

// Grants lists the project's grants, by name.
func (d *Daemon) Grants(ctx context.Context, ref string) ([]project.Grant, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	if p.Grants == nil {
		return []project.Grant{}, nil
	}
	return p.Grants, nil
}

// RevokeGrant removes the project's grant for domain before it expires and
// pushes the policy when the project is running. A name with no grant
// matches ErrNotFound.
func (d *Daemon) RevokeGrant(ctx context.Context, ref, domain string) (project.Project, PushResult, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return project.Project{}, PushResult{}, err
	}
	updated, err := d.store.Update(p.ID, func(cur project.Project) (project.Project, error) {
		next, found := cur.WithoutGrant(domain, d.now())
		if !found {
			return project.Project{}, fmt.Errorf("%w: project %s has no grant for %q", ErrNotFound, p.ID, domain)
		}
		return next, nil
	})
	if err != nil {
		return project.Project{}, PushResult{}, d.grantError(ref, p.ID, err)
	}
	d.wakeGrants()
	d.log.Info("grant revoked", "project", p.ID, "domain", domain, "gen", updated.PolicyGen)
	if updated.Desired != project.DesiredRunning {
		return updated, PushResult{}, nil
	}
	res, latest := d.push(ctx, p.ID)
	if latest.ID != "" {
		updated = latest
	}
	return updated, res, nil
}

func (d *Daemon) grantError(ref, id string, err error) error {
	var fe *project.FieldError
	switch {
	case isStoreNotFound(err):
		return notFound(ref)
	case errors.As(err, &fe), errors.Is(err, ErrNotFound):
		return err
	}
	return fmt.Errorf("updating the grants of project %s: %w", id, err)
}

// wakeGrants makes the expiry loop look again (a grant was added or
// removed, so the first expiry may have moved).
func (d *Daemon) wakeGrants() {
	select {
	case d.grantWake <- struct{}{}:
	default:
	}
}

// expireGrants removes grants as they expire, for as long as the daemon
// runs.
func (d *Daemon) expireGrants(ctx context.Context) {
	for {
		wait := maxGrantSleep
		if next, ok := d.pruneGrants(true); ok {
			// A timer may fire a hair before the wall-clock expiry; the
			// floor keeps that from spinning.
			wait = min(max(next.Sub(d.now()), 10*time.Millisecond), maxGrantSleep)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-d.grantWake:
			t.Stop()
		}
	}
}

// pruneGrants removes the expired grants of every project; with push, a
// project meant to be running is converged with a push, so its sidecar stops
// allowing the names. It returns the next expiry among the grants left.
func (d *Daemon) pruneGrants(push bool) (next time.Time, ok bool) {
	ps, err := d.store.List()
	if err != nil {
		d.log.Warn("listing projects for expired grants", "err", err)
		return d.now().Add(time.Second), true
	}
	now := d.now()
	for _, p := range ps {
		if at, has := p.NextExpiry(); has && !now.Before(at) {
			var expired []project.Grant
			updated, err := d.store.Update(p.ID, func(cur project.Project) (project.Project, error) {
				var next project.Project
				next, expired = cur.WithoutExpired(now)
				return next, nil
			})
			switch {
			case isStoreNotFound(err):
				continue
			case err != nil:
				d.log.Warn("removing expired grants", "project", p.ID, "err", err)
				at = now.Add(time.Second) // try again soon
				if !ok || at.Before(next) {
					next, ok = at, true
				}
				continue
			}
			for _, g := range expired {
				d.log.Info("grant expired", "project", p.ID, "domain", g.Domain, "gen", updated.PolicyGen)
			}
			if push && len(expired) > 0 && updated.Desired == project.DesiredRunning {
				d.kick(p.ID, trigger{push: true})
			}
			p = updated
		}
		if at, has := p.NextExpiry(); has && (!ok || at.Before(next)) {
			next, ok = at, true
		}
	}
	return next, ok
}
