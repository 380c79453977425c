package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/warden-sh/warden/host/project"
)

// Create stores a new project; ErrExists if its ID is taken.
func (s *Store) Create(p project.Project) error {
	if !project.ValidID(p.ID) {
		return fmt.Errorf("storing project: invalid id %q", p.ID)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(projectsBucket)
		if b.Get([]byte(p.ID)) != nil {
			return fmt.Errorf("%w: %q", ErrExists, p.ID)
		}
		return putProject(b, p)
	})
	return wrap("creating project "+p.ID, err)
}

// Get returns the project with the given ID, or ErrNotFound.
func (s *Store) Get(id string) (project.Project, error) {
	var p project.Project
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = getProject(tx.Bucket(projectsBucket), id)
		return err
	})
	if err != nil {
		return project.Project{}, wrap("reading project "+id, err)
	}
	return p, nil
}

// List returns every project, oldest first.
func (s *Store) List() ([]project.Project, error) {
	out := []project.Project{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(projectsBucket).ForEach(func(k, v []byte) error {
			p, err := decodeProject(k, v)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing projects: %w", err)
	}
	slices.SortFunc(out, func(a, b project.Project) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Update reads the project, passes it to fn and stores what fn returns, all
// in one transaction, and returns the stored project. If fn returns an
// error, nothing is written and Update returns fn's error as it is, so a
// *project.FieldError reaches the caller unchanged. fn runs inside the write
// transaction: it must be quick and must not call the Store.
func (s *Store) Update(id string, fn func(project.Project) (project.Project, error)) (project.Project, error) {
	var next project.Project
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(projectsBucket)
		cur, err := getProject(b, id)
		if err != nil {
			return err
		}
		if next, fnErr = fn(cur); fnErr != nil {
			return fnErr
		}
		if next.ID != id {
			return fmt.Errorf("the update changed the project id to %q", next.ID)
		}
		return putProject(b, next)
	})
	if fnErr != nil {
		return project.Project{}, fnErr
	}
	if err != nil {
		return project.Project{}, wrap("updating project "+id, err)
	}
	return next, nil
}

// Delete removes the project and its events, or returns ErrNotFound.
func (s *Store) Delete(id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(projectsBucket)
		if b.Get([]byte(id)) == nil {
			return notFound(id)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(droppedBucket).Delete([]byte(id)); err != nil {
			return err
		}
		err := tx.Bucket(eventsBucket).DeleteBucket([]byte(id))
		if errors.Is(err, berrors.ErrBucketNotFound) {
			return nil // no event was ever stored
		}
		return err
	})
	return wrap("deleting project "+id, err)
}

func getProject(b *bolt.Bucket, id string) (project.Project, error) {
	v := b.Get([]byte(id))
	if v == nil {
		return project.Project{}, notFound(id)
	}
	return decodeProject([]byte(id), v)
}

// storedProject is a project as the store keeps it: with its environment's
// values, which every other rendering of a project masks (project.Env).
// The outer Env shadows the project's in encoding/json.
type storedProject struct {
	project.Project
	Env map[string]string `json:"env"`
}

func putProject(b *bolt.Bucket, p project.Project) error {
	data, err := json.Marshal(storedProject{Project: p, Env: p.Env.Values()})
	if err != nil {
		return fmt.Errorf("encoding project %s: %w", p.ID, err)
	}
	return b.Put([]byte(p.ID), data)
}

// decodeProject decodes a stored value. json.Unmarshal copies what it keeps,
// so the result stays valid after the transaction, when bbolt reuses v.
func decodeProject(k, v []byte) (project.Project, error) {
	var sp storedProject
	if err := json.Unmarshal(v, &sp); err != nil {
		return project.Project{}, fmt.Errorf("decoding project %s: %w", k, err)
	}
	p := sp.Project
	p.Env = sp.Env
	if p.Env == nil {
		p.Env = project.Env{}
	}
	return p, nil
}
