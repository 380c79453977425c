package agent

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrNameTaken is wrapped by Add's refusal of a name that another type has.
var ErrNameTaken = errors.New("agent type name taken")

// Entry is a registered definition and where it came from.
type Entry struct {
	Definition
	// Plugin is the plugin that defined the type; empty for a built-in.
	Plugin string `json:"plugin,omitempty"`
}

// Registry holds every agent type the daemon knows: the built-in ones, then
// those plugins defined. It is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	builtins []Definition
	plugins  map[string]Definition // by plugin name
}

// NewRegistry returns a registry holding the built-in types. A built-in
// definition that fails Check is a bug, and panics.
func NewRegistry() *Registry {
	r := &Registry{plugins: make(map[string]Definition)}
	for _, t := range Builtins() {
		d, err := t.Definition()
		if err == nil {
			d, err = Check(d)
		}
		if err != nil {
			panic(fmt.Sprintf("built-in agent type: %v", err))
		}
		r.builtins = append(r.builtins, d)
	}
	return r
}

// Add asks t for its definition, checks it and registers it for plugin,
// replacing what plugin defined before. A name another built-in or plugin
// already has is refused; the plugin's earlier definition then stays.
func (r *Registry) Add(plugin string, t Type) (Definition, error) {
	if plugin == "" {
		return Definition{}, errors.New("registering an agent type: no plugin name given")
	}
	d, err := t.Definition()
	if err != nil {
		return Definition{}, fmt.Errorf("asking for the definition: %w", err)
	}
	d, err = Check(d)
	if err != nil {
		return Definition{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.builtins {
		if b.Name == d.Name {
			return Definition{}, fmt.Errorf("%w: %q is built in; expect a plugin to define a name of its own", ErrNameTaken, d.Name)
		}
	}
	for other, od := range r.plugins {
		if other != plugin && od.Name == d.Name {
			return Definition{}, fmt.Errorf("%w: %q is already defined by plugin %s; expect a name of its own", ErrNameTaken, d.Name, other)
		}
	}
	r.plugins[plugin] = d
	return d.Clone(), nil
}

// Remove forgets what plugin defined; an unknown plugin is not an error.
func (r *Registry) Remove(plugin string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.plugins, plugin)
}

// Lookup returns the agent type called name.
func (r *Registry) Lookup(name string) (Definition, bool) {
	for _, e := range r.List() {
		if e.Name == name {
			return e.Definition, true
		}
	}
	return Definition{}, false
}

// Names lists the names of the known types, in the order List shows them.
func (r *Registry) Names() []string {
	entries := r.List()
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}

// List returns copies of every known type: the built-in ones in their own
// order, then the plugins' sorted by name.
func (r *Registry) List() []Entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Entry, 0, len(r.builtins)+len(r.plugins))
	for _, d := range r.builtins {
		out = append(out, Entry{Definition: d.Clone()})
	}
	start := len(out)
	for plugin, d := range r.plugins {
		out = append(out, Entry{Definition: d.Clone(), Plugin: plugin})
	}
	slices.SortFunc(out[start:], func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Plugin, b.Plugin))
	})
	return out
}
