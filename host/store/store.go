package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors callers branch on.
var (
	ErrNotFound = errors.New("project not found")
	ErrExists   = errors.New("project already exists")
)

// EventHistory is how many events are kept per project unless
// SetEventHistory says otherwise.
const EventHistory = 10000

// lockTimeout bounds the wait for the file lock another process holds.
const lockTimeout = time.Second

var (
	projectsBucket = []byte("projects")
	eventsBucket   = []byte("events")
	droppedBucket  = []byte("events-dropped") // <id> → u64 count of events dropped for the bound
)

// Store is the daemon's state. It is safe for concurrent use.
type Store struct {
	db        *bolt.DB
	maxEvents int
}

// Open opens the store at path, creating the file (mode 0600) and its folder
// (mode 0700) when missing. Only one process can hold the store open.
func Open(path string) (*Store, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating store folder %s: %w", dir, err)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening store %s: another process holds it (is a warden daemon already running?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", path, err)
	}
	if created {
		// The new file's name must survive a power cut too, not only its contents.
		if err := syncDir(dir); err != nil {
			db.Close()
			return nil, fmt.Errorf("syncing store folder %s: %w", dir, err)
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{projectsBucket, eventsBucket, droppedBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing store %s: %w", path, err)
	}
	return &Store{db: db, maxEvents: EventHistory}, nil
}

// Close releases the file. Calls after Close fail.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing store: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func notFound(id string) error {
	return fmt.Errorf("%w: %q", ErrNotFound, id)
}

// wrap adds what was being done to err, except to ErrNotFound and ErrExists,
// which already say it and name the project.
func wrap(doing string, err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) {
		return err
	}
	return fmt.Errorf("%s: %w", doing, err)
}
