package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/warden-sh/warden/shared"
)

// AppendEvents adds events to a project's history, dropping the oldest
// beyond the bound (SetEventHistory) and counting them (Page.Dropped).
// ErrNotFound if the project does not exist.
func (s *Store) AppendEvents(id string, evs []shared.Event) error {
	if len(evs) == 0 {
		return nil
	}
	var skipped uint64
	if len(evs) > s.maxEvents {
		skipped = uint64(len(evs) - s.maxEvents)
		evs = evs[len(evs)-s.maxEvents:] // the older ones would be dropped at once
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(projectsBucket).Get([]byte(id)) == nil {
			return notFound(id)
		}
		b, err := tx.Bucket(eventsBucket).CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		if err := b.SetSequence(b.Sequence() + skipped); err != nil {
			return err
		}
		for _, ev := range evs {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			data, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("encoding event: %w", err)
			}
			if err := b.Put(seqKey(seq), data); err != nil {
				return err
			}
		}
		trimmed, err := trim(b, s.maxEvents)
		if err != nil {
			return err
		}
		return addDropped(tx, id, skipped+uint64(trimmed))
	})
	return wrap("storing events of project "+id, err)
}

// Events returns up to limit of the project's latest events, oldest first;
// limit <= 0 means all that are kept. ErrNotFound if the project does not
// exist.
func (s *Store) Events(id string, limit int) ([]shared.Event, error) {
	out := []shared.Event{}
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(projectsBucket).Get([]byte(id)) == nil {
			return notFound(id)
		}
		b := tx.Bucket(eventsBucket).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var ev shared.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decoding event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("reading events of project "+id, err)
	}
	slices.Reverse(out)
	return out, nil
}

// trim deletes the events older than the last keep, and says how many it
// deleted. Keys are sequence numbers, so everything at or below
// Sequence()-keep goes.
func trim(b *bolt.Bucket, keep int) (int, error) {
	seq := b.Sequence()
	if seq <= uint64(keep) {
		return 0, nil
	}
	cutoff := seqKey(seq - uint64(keep))
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, cutoff) <= 0; k, _ = c.Next() {
		old = append(old, slices.Clone(k))
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}
