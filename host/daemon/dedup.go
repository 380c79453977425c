package daemon

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/warden-sh/warden/shared"
)

// dedup drops events already seen. A sidecar replays everything it holds
// whenever its stream is followed again, and its events come in time order,
// so it is enough to remember the newest time and the events at that time.
type dedup struct {
	last time.Time
	at   map[string]bool
}

func newDedup() *dedup { return &dedup{at: make(map[string]bool)} }

// fresh reports whether e is new, and remembers it.
func (d *dedup) fresh(e shared.Event) bool {
	key := eventKey(e)
	switch {
	case e.Time.Before(d.last):
		return false
	case e.Time.Equal(d.last):
		if d.at[key] {
			return false
		}
	default:
		d.last = e.Time
		clear(d.at)
	}
	d.at[key] = true
	return true
}

// eventKey is e in a comparable form: its time in one location (time.Time
// values that are Equal may still differ in it), and its address list
// joined, since a slice cannot be compared.
func eventKey(e shared.Event) string {
	e.Time = e.Time.UTC().Round(0)
	b, _ := json.Marshal(e) // an Event always encodes
	return string(b)
}

// mergeEvents joins the stored history with the sidecar's recent events,
// in time order without repeats, keeping the newest limit (all when
// limit <= 0).
func mergeEvents(stored, live []shared.Event, limit int) []shared.Event {
	all := make([]shared.Event, 0, len(stored)+len(live))
	seen := make(map[string]bool, len(stored)+len(live))
	for _, e := range append(slices.Clip(stored), live...) {
		k := eventKey(e)
		if !seen[k] {
			seen[k] = true
			all = append(all, e)
		}
	}
	slices.SortStableFunc(all, func(a, b shared.Event) int { return a.Time.Compare(b.Time) })
	if limit > 0 && len(all) > limit {
		all = all[len(all)-limit:]
	}
	return all
}
