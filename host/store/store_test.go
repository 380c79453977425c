package store

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestCRUD(t *testing.T) {
	s := openTemp(t)

	list, err := s.List()
	require.NoError(t, err)
	require.Equal(t, []project.Project{}, list, "an empty store lists nothing, not null")

	// Created out of order; listed by creation time.
	for _, n := range []int{3, 1, 2} {
		require.NoError(t, s.Create(testProject(n)))
	}
	list, err = s.List()
	require.NoError(t, err)
	require.Equal(t, []project.Project{testProject(1), testProject(2), testProject(3)}, list)

	got, err := s.Get(testProject(2).ID)
	require.NoError(t, err)
	require.Equal(t, testProject(2), got, "a project reads back exactly")

	err = s.Create(testProject(2))
	require.ErrorIs(t, err, ErrExists)
	require.ErrorContains(t, err, testProject(2).ID)

	require.NoError(t, s.Delete(testProject(2).ID))
	_, err = s.Get(testProject(2).ID)
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorContains(t, err, testProject(2).ID)
	require.ErrorIs(t, s.Delete(testProject(2).ID), ErrNotFound)

	list, err = s.List()
	require.NoError(t, err)
	require.Len(t, list, 2)
}

func TestCreateRefusesBadID(t *testing.T) {
	s := openTemp(t)
	p := testProject(1)
	p.ID = "../x"
	require.ErrorContains(t, s.Create(p), `"../x"`)
}

func TestMissingProject(t *testing.T) {
	s := openTemp(t)
	id := "0123456789ab"
	tests := map[string]func() error{
		"get":    func() error { _, err := s.Get(id); return err },
		"update": func() error { _, err := s.Update(id, keep); return err },
		"delete": func() error { return s.Delete(id) },
		"append": func() error { return s.AppendEvents(id, events(1, 1)) },
		"events": func() error { _, err := s.Events(id, 0); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.ErrorIs(t, err, ErrNotFound)
			require.ErrorContains(t, err, id)
		})
	}
}

func keep(p project.Project) (project.Project, error) { return p, nil }

func TestUpdate(t *testing.T) {
	s := openTemp(t)
	p := testProject(1)
	require.NoError(t, s.Create(p))

	got, err := s.Update(p.ID, func(cur project.Project) (project.Project, error) {
		return cur.Apply(project.Patch{AddDomains: []string{"example.com"}}, epoch.Add(2*time.Minute))
	})
	require.NoError(t, err)
	require.Contains(t, got.Domains, "example.com")
	require.Equal(t, uint64(2), got.PolicyGen)

	stored, err := s.Get(p.ID)
	require.NoError(t, err)
	require.Equal(t, got, stored)
}

// TestUpdateErrorWritesNothing: an edit refused by validation, or by fn for
// any reason, leaves the stored project as it was, and fn's error reaches
// the caller unchanged.
func TestUpdateErrorWritesNothing(t *testing.T) {
	s := openTemp(t)
	p := testProject(1)
	require.NoError(t, s.Create(p))

	tests := []struct {
		name  string
		fn    func(project.Project) (project.Project, error)
		check func(t *testing.T, err error)
	}{
		{
			name: "validation refusal",
			fn: func(cur project.Project) (project.Project, error) {
				return cur.Apply(project.Patch{
					Mode:       ptr(shared.ModeFull),
					AddDomains: []string{"good.example.com", "co.uk"},
				}, epoch)
			},
			check: func(t *testing.T, err error) {
				var fe *project.FieldError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, "co.uk", fe.Value)
				require.Equal(t, fe.Error(), err.Error(), "returned as it is")
			},
		},
		{
			name: "fn changes its copy, then fails",
			fn: func(cur project.Project) (project.Project, error) {
				cur.Name = "changed"
				cur.Domains[0] = "changed.example.com"
				return cur, errBoom
			},
			check: func(t *testing.T, err error) { require.ErrorIs(t, err, errBoom) },
		},
		{
			name: "fn changes the id",
			fn: func(cur project.Project) (project.Project, error) {
				cur.ID = "ffffffffffff"
				return cur, nil
			},
			check: func(t *testing.T, err error) { require.ErrorContains(t, err, "ffffffffffff") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Update(p.ID, tt.fn)
			tt.check(t, err)
			require.Zero(t, got)
			stored, err := s.Get(p.ID)
			require.NoError(t, err)
			require.Equal(t, p, stored)
			_, err = s.Get("ffffffffffff")
			require.ErrorIs(t, err, ErrNotFound)
		})
	}
}

var errBoom = errors.New("boom")

func ptr[T any](v T) *T { return &v }

// TestUpdateIsAtomic runs read-modify-write increments from many goroutines;
// none is lost.
func TestUpdateIsAtomic(t *testing.T) {
	s := openTemp(t)
	p := testProject(1)
	require.NoError(t, s.Create(p))

	const workers, each = 8, 25
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := s.Update(p.ID, func(cur project.Project) (project.Project, error) {
					cur.PolicyGen++
					return cur, nil
				})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	got, err := s.Get(p.ID)
	require.NoError(t, err)
	require.Equal(t, p.PolicyGen+workers*each, got.PolicyGen)
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "data", "warden.db")
	s, err := Open(path)
	require.NoError(t, err)
	require.NoError(t, s.Create(testProject(1)))
	require.NoError(t, s.AppendEvents(testProject(1).ID, events(1, 3)))
	require.NoError(t, s.Close())

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	s, err = Open(path)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Get(testProject(1).ID)
	require.NoError(t, err)
	require.Equal(t, testProject(1), got)
	evs, err := s.Events(testProject(1).ID, 0)
	require.NoError(t, err)
	require.Equal(t, events(1, 3), evs)
}

// TestOpenTwice: a second daemon on the same data folder gets a clear error
// instead of waiting forever for the file lock.
func TestOpenTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	_, err = Open(path)
	require.ErrorContains(t, err, "another process holds it")
	require.ErrorContains(t, err, path)
}
