package project

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Defaults of a Watcher.
const (
	DefaultDebounce = 100 * time.Millisecond
	DefaultRetry    = time.Second
)

// Watcher follows the .warden.json of one workspace. It watches the
// workspace folder rather than the file, so it sees the file created,
// deleted, or replaced by an editor's rename. Changes are debounced: a burst
// of writes is read once, after Debounce of quiet, and a file rewritten
// without pause is still read at least every ten Debounce periods.
type Watcher struct {
	Workspace string
	// Debounce is the quiet time after the last change before the file is
	// read; DefaultDebounce when zero.
	Debounce time.Duration
	// Retry is how often a workspace that cannot be watched (missing,
	// removed, renamed) is tried again; DefaultRetry when zero.
	Retry time.Duration
	// Log receives the watcher's own troubles; nothing is logged when nil.
	Log *slog.Logger
}

// WatchWardenFile runs a Watcher with the defaults; see Watcher.Run.
func WatchWardenFile(ctx context.Context, workspace string, fn func(ports []int, err error)) error {
	return Watcher{Workspace: workspace}.Run(ctx, fn)
}

// Run calls fn with the file's ports at once, then after every change that
// alters the outcome, until ctx is done. A missing file means no ports. When
// the file is invalid, fn gets the error together with the last valid list
// (nil if there was none), so a caller that keeps what it is given keeps the
// previous list. A workspace that disappears is reported the same way and
// watched again once it is back. fn is called from Run's goroutine, one call
// at a time.
//
// Run returns nil when ctx is done, and an error only when no watch can be
// set up at all.
func (w Watcher) Run(ctx context.Context, fn func(ports []int, err error)) error {
	dir := filepath.Clean(w.Workspace)
	debounce := positiveOr(w.Debounce, DefaultDebounce)
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "wardenfile", "workspace", dir)

	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	defer fsw.Close()

	out := reporter{fn: fn}
	read := func() { out.report(ReadWardenFile(dir)) }

	// retry ticks while the workspace cannot be watched.
	var retry *time.Ticker
	var retryC <-chan time.Time
	watch := func() {
		if err := fsw.Add(dir); err != nil {
			out.report(nil, fmt.Errorf("watching %s: %w", dir, err))
			if retry == nil {
				log.Warn("cannot watch the workspace; trying again", "error", err)
				retry = time.NewTicker(positiveOr(w.Retry, DefaultRetry))
				retryC = retry.C
			}
			return
		}
		if retry != nil {
			log.Info("watching the workspace again")
			retry.Stop()
			retry, retryC = nil, nil
		}
		read() // after Add, so no change can fall between the read and the watch
	}
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()

	settle := time.NewTimer(debounce)
	settle.Stop()
	defer settle.Stop()
	var changedSince time.Time // first change not yet read; zero when none
	changed := func() {
		if changedSince.IsZero() {
			changedSince = time.Now()
		}
		wait := min(debounce, 10*debounce-time.Since(changedSince))
		settle.Reset(max(wait, 0))
	}

	watch()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsw.Events:
			if !ok {
				return fmt.Errorf("watching %s: the watcher was closed", dir)
			}
			switch {
			case ev.Name == dir && ev.Has(fsnotify.Remove|fsnotify.Rename):
				_ = fsw.Remove(dir) // fsnotify may have dropped it already
				watch()
			case filepath.Dir(ev.Name) == dir && filepath.Base(ev.Name) == WardenFileName:
				changed()
			}
		case err, ok := <-fsw.Errors:
			if !ok {
				return fmt.Errorf("watching %s: the watcher was closed", dir)
			}
			log.Warn("watching the workspace", "error", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				changed() // events were lost; look again
			}
		case <-settle.C:
			changedSince = time.Time{}
			read()
		case <-retryC:
			watch()
		}
	}
}

// reporter passes outcomes to fn, skipping one identical to the last, and
// pairs an error with the last valid list.
type reporter struct {
	fn       func([]int, error)
	good     []int
	sent     bool
	sentList []int
	sentErr  string
}

func (r *reporter) report(ports []int, err error) {
	errText := ""
	if err != nil {
		errText = err.Error()
	} else {
		r.good = ports
	}
	if r.sent && slices.Equal(r.good, r.sentList) && errText == r.sentErr {
		return
	}
	r.sent, r.sentList, r.sentErr = true, r.good, errText
	r.fn(slices.Clone(r.good), err)
}

func positiveOr(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}
