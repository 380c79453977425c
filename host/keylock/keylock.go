// Package keylock hands out one mutex per key (a project id), so the calls
// for one project run one at a time while other projects' go on. The zero
// Locks is ready to use.
package keylock

import "sync"

// Locks is a mutex per key, made on first use and kept.
type Locks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// Get returns key's mutex.
func (k *Locks) Get(key string) *sync.Mutex {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = make(map[string]*sync.Mutex)
	}
	l, ok := k.m[key]
	if !ok {
		l = new(sync.Mutex)
		k.m[key] = l
	}
	return l
}

// Lock locks key's mutex and returns its unlock.
func (k *Locks) Lock(key string) (unlock func()) {
	l := k.Get(key)
	l.Lock()
	return l.Unlock
}
