package daemon

import (
	"context"
	"time"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/shared"
)

// maxAuditPage caps the records one page returns.
const maxAuditPage = 1000

// AuditRecord is the API's wire type (host/api/wire).
type AuditRecord = wire.AuditRecord

// AuditPage is the API's wire type (host/api/wire).
type AuditPage = wire.AuditPage

// AuditQuery selects records: Seq greater than After, among the last Tail
// (0: any), Time at or after Since (zero: any), at most Limit (0 or above
// maxAuditPage: maxAuditPage).
type AuditQuery struct {
	After uint64
	Tail  int
	Since time.Time
	Limit int
}

// Audit returns a page of the project's audit log.
func (d *Daemon) Audit(ctx context.Context, ref string, q AuditQuery) (AuditPage, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return AuditPage{}, err
	}
	d.catchUp(ctx, p.ID)
	return d.auditPage(p.ID, q)
}

func (d *Daemon) auditPage(id string, q AuditQuery) (AuditPage, error) {
	if q.Limit <= 0 || q.Limit > maxAuditPage {
		q.Limit = maxAuditPage
	}
	sp, err := d.store.Audit(id, store.Query{After: q.After, Tail: q.Tail, Since: q.Since, Limit: q.Limit})
	if err != nil {
		if isStoreNotFound(err) {
			return AuditPage{}, notFound(id)
		}
		return AuditPage{}, err
	}
	page := AuditPage{Project: id, Records: make([]AuditRecord, 0, len(sp.Records)), Next: q.After,
		Dropped: sp.Dropped, Bound: d.auditBound()}
	for _, r := range sp.Records {
		page.Records = append(page.Records, AuditRecord{Seq: r.Seq, Project: id, Event: r.Event})
		page.Next = r.Seq
	}
	page.More = sp.Last > page.Next && len(sp.Records) == q.Limit
	return page, nil
}

// auditBound is the bound Open set on the store.
func (d *Daemon) auditBound() int { return d.cfg.AuditRecords }

// FollowAudit calls fn with each record q selects, and then with each new
// record as it is stored, until ctx ends or the project is deleted.
func (d *Daemon) FollowAudit(ctx context.Context, ref string, q AuditQuery, fn func(AuditRecord)) error {
	p, err := d.resolve(ref)
	if err != nil {
		return err
	}
	wake, leave := d.hub.subscribe(p.ID)
	defer leave()
	for {
		// Read until caught up, then wait for the next stored batch; a
		// batch stored between the read and the wait still wakes us.
		for {
			page, err := d.auditPage(p.ID, q)
			if err != nil {
				return err
			}
			for _, r := range page.Records {
				fn(r)
			}
			q.After, q.Tail = page.Next, 0
			if !page.More {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-wake:
			if !ok {
				return nil
			}
		}
	}
}

// blocked reports whether e records something refused, as the event feed
// shows, rather than a first contact.
func blocked(e shared.Event) bool { return !e.Kind.Allowed() }

// blockedEvents is up to limit of the project's newest stored refusals,
// oldest first (limit <= 0: all).
func (d *Daemon) blockedEvents(id string, limit int) ([]shared.Event, error) {
	sp, err := d.store.Audit(id, store.Query{Keep: blocked})
	if err != nil {
		return nil, err
	}
	recs := sp.Records
	if limit > 0 && len(recs) > limit {
		recs = recs[len(recs)-limit:]
	}
	out := make([]shared.Event, len(recs))
	for i, r := range recs {
		out[i] = r.Event
	}
	return out, nil
}
