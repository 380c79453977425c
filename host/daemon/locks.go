package daemon

import "sync"

// keyedLocks hands out one mutex per project id.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (k *keyedLocks) get(id string) *sync.Mutex {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.locks == nil {
		k.locks = make(map[string]*sync.Mutex)
	}
	l, ok := k.locks[id]
	if !ok {
		l = new(sync.Mutex)
		k.locks[id] = l
	}
	return l
}

// lock locks id's mutex and returns its unlock.
func (k *keyedLocks) lock(id string) func() {
	l := k.get(id)
	l.Lock()
	return l.Unlock
}
