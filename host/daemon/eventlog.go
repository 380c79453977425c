package daemon

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/warden-sh/warden/host/wait"
	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

// Event persistence: each running sidecar's stream is followed, events are
// batched (flushBatch or flushEvery, whichever comes first) into the store's
// bounded history and then handed to the API's followers.
const (
	flushEvery    = 200 * time.Millisecond
	flushBatch    = 100
	followerQueue = 4096
)

// ensureFollower starts following the sidecar of project id, unless that
// is already happening.
func (d *Daemon) ensureFollower(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.followers[id]; ok {
		return
	}
	d.followers[id] = d.spawnBackground(func(ctx context.Context) { d.followSidecar(ctx, id) })
}

// stopFollower stops following project id and waits until its last events
// are stored.
func (d *Daemon) stopFollower(id string) {
	d.mu.Lock()
	b := d.followers[id]
	delete(d.followers, id)
	d.mu.Unlock()
	if b != nil {
		b.stop()
	}
}

// followSidecar follows one sidecar until ctx ends, reconnecting when it
// goes away (it may be restarting).
func (d *Daemon) followSidecar(ctx context.Context, id string) {
	f := &feed{seen: newDedup(), queue: make(chan shared.Event, followerQueue),
		flushReq: make(chan chan struct{}), gone: make(chan struct{})}
	var since time.Time
	if last, err := d.store.Events(id, 1); err == nil && len(last) == 1 {
		f.seen.fresh(last[0])
		since = last[0].Time
	}
	go func() {
		defer close(f.gone)
		d.persistEvents(id, f.queue, f.flushReq)
	}()
	d.mu.Lock()
	d.feeds[id] = f
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		if d.feeds[id] == f {
			delete(d.feeds, id)
		}
		d.mu.Unlock()
		f.close()
		<-f.gone
	}()

	delay := 500 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		err := d.followFrom(ctx, id, since, func(e shared.Event) {
			if n := f.offer(e); n == 1 || n > 0 && n%1000 == 0 {
				d.log.Warn("event history falling behind; events dropped", "project", id, "dropped", n)
			}
		})
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, control.ErrUnreachable) {
			d.log.Debug("sidecar events not reachable", "project", id, "err", err)
		} else {
			d.log.Info("sidecar event stream ended; following again", "project", id, "err", err)
		}
		if time.Since(began) > 10*time.Second {
			delay = 500 * time.Millisecond
		}
		if wait.Sleep(ctx, delay) != nil {
			return
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// followFrom follows the sidecar, telling a control that can use it the
// time of the newest event the store holds.
func (d *Daemon) followFrom(ctx context.Context, id string, since time.Time, fn func(shared.Event)) error {
	if sf, ok := d.sc.(sinceFollower); ok {
		return sf.FollowSince(ctx, d.rt.SocketPath(id), since, fn)
	}
	return d.sc.Follow(ctx, d.rt.SocketPath(id), fn)
}

// persistEvents stores the queued events in batches until the queue is
// closed, then stores what is left. A flush request stores what is queued
// at once and is answered by closing its channel.
func (d *Daemon) persistEvents(id string, queue <-chan shared.Event, flushReq <-chan chan struct{}) {
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	var batch []shared.Event
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := d.store.AppendEvents(id, batch); err != nil {
			d.log.Warn("storing events", "project", id, "events", len(batch), "err", err)
		}
		d.hub.publish(id, batch)
		batch = nil
	}
	for {
		select {
		case e, ok := <-queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= flushBatch {
				flush()
			}
		case done := <-flushReq:
			for n := len(queue); n > 0; n-- {
				e, ok := <-queue
				if !ok {
					break
				}
				batch = append(batch, e)
			}
			flush()
			close(done)
		case <-t.C:
			flush()
		}
	}
}

// Events returns up to limit of the project's most recent refusals (the
// audit log less its first contacts), oldest first: the stored history, completed with what the sidecar holds that
// has not been stored yet. limit <= 0 means all that is kept.
func (d *Daemon) Events(ctx context.Context, ref string, limit int) ([]shared.Event, error) {
	p, err := d.resolve(ref)
	if err != nil {
		return nil, err
	}
	stored, err := d.blockedEvents(p.ID, limit)
	if err != nil {
		if isStoreNotFound(err) {
			return nil, notFound(ref)
		}
		return nil, err
	}
	if !d.following(p.ID) {
		return stored, nil
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	live, err := d.sc.Events(sctx, d.rt.SocketPath(p.ID), limit)
	if err != nil {
		return stored, nil // the history is the answer when the sidecar is away
	}
	return mergeEvents(stored, slices.DeleteFunc(live, shared.Event.Allowed), limit), nil
}

func (d *Daemon) following(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.followers[id]
	return ok
}

// Follow calls fn with up to limit recent refusals and then with each new
// one as it is stored, until ctx ends or the project is deleted.
func (d *Daemon) Follow(ctx context.Context, ref string, limit int, fn func(shared.Event)) error {
	p, err := d.resolve(ref)
	if err != nil {
		return err
	}
	live, leave := d.hub.subscribe(p.ID)
	defer leave()
	backlog, err := d.blockedEvents(p.ID, limit)
	if err != nil {
		if isStoreNotFound(err) {
			return notFound(ref)
		}
		return err
	}
	seen := newDedup()
	for _, e := range backlog {
		seen.fresh(e)
		fn(e)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case batch, ok := <-live:
			if !ok {
				return nil
			}
			for _, e := range batch {
				if blocked(e) && seen.fresh(e) {
					fn(e)
				}
			}
		}
	}
}
