package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/warden-sh/warden/shared"
)

// Record is one stored event with its place in the project's history.
type Record struct {
	Seq   uint64
	Event shared.Event
}

// Page is a slice of a project's history.
type Page struct {
	Records []Record
	// Dropped counts the project's events dropped to keep the history
	// within its bound, oldest first, since the project was created.
	Dropped uint64
	// Last is the sequence number of the newest event stored, 0 for none.
	Last uint64
}

// Query selects events: those after sequence number After and among the
// last Tail stored (<= 0: any), at or after Since (zero: any time),
// matching Keep (nil: all), at most Limit of them (<= 0: no bound), oldest
// first.
type Query struct {
	After uint64
	Tail  int
	Since time.Time
	Limit int
	Keep  func(shared.Event) bool
}

// SetEventHistory bounds each project's history to n events (at least one)
// from the next append on.
func (s *Store) SetEventHistory(n int) { s.maxEvents = max(n, 1) }

// EventHistoryBound is the bound SetEventHistory set.
func (s *Store) EventHistoryBound() int { return s.maxEvents }

// Audit returns the project's events that q selects. ErrNotFound if the
// project does not exist.
func (s *Store) Audit(id string, q Query) (Page, error) {
	page := Page{Records: []Record{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(projectsBucket).Get([]byte(id)) == nil {
			return notFound(id)
		}
		page.Dropped = droppedOf(tx, id)
		b := tx.Bucket(eventsBucket).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		page.Last = b.Sequence()
		after := q.After
		if q.Tail > 0 && page.Last > uint64(q.Tail) {
			after = max(after, page.Last-uint64(q.Tail))
		}
		c := b.Cursor()
		k, v := c.Seek(seqKey(after + 1))
		for ; k != nil && (q.Limit <= 0 || len(page.Records) < q.Limit); k, v = c.Next() {
			var ev shared.Event
			seq := binary.BigEndian.Uint64(k)
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decoding event %d: %w", seq, err)
			}
			if ev.Time.Before(q.Since) || (q.Keep != nil && !q.Keep(ev)) {
				continue
			}
			page.Records = append(page.Records, Record{Seq: seq, Event: ev})
		}
		return nil
	})
	if err != nil {
		return Page{}, wrap("reading the audit log of project "+id, err)
	}
	return page, nil
}

func droppedOf(tx *bolt.Tx, id string) uint64 {
	v := tx.Bucket(droppedBucket).Get([]byte(id))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// addDropped counts n more dropped events of project id.
func addDropped(tx *bolt.Tx, id string, n uint64) error {
	if n == 0 {
		return nil
	}
	return tx.Bucket(droppedBucket).Put([]byte(id), binary.BigEndian.AppendUint64(nil, droppedOf(tx, id)+n))
}
