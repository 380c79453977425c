package project

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// EnvSet is what every rendering of an environment shows for a value.
const EnvSet = "set"

// Env is a project's environment. Its values are secrets (the README tells
// users to keep API keys there): they go to the agent container and the
// store, and nowhere else. Every JSON or fmt rendering shows each name with
// "set", so no answer, log line or event can carry a value by accident;
// only Values (for the container) and the store see them.
type Env map[string]string

// MarshalJSON writes each name with "set".
func (e Env) MarshalJSON() ([]byte, error) {
	masked := make(map[string]string, len(e))
	for k := range e {
		masked[k] = EnvSet
	}
	return json.Marshal(masked)
}

// String lists the names, each with "set".
func (e Env) String() string {
	names := slices.Sorted(maps.Keys(e))
	for i, k := range names {
		names[i] = k + "=" + EnvSet
	}
	return "map[" + strings.Join(names, " ") + "]"
}

// GoString is String, so %#v shows no value either.
func (e Env) GoString() string { return e.String() }

// Values returns a copy with the real values, for the agent container and
// the store.
func (e Env) Values() map[string]string {
	return maps.Clone(map[string]string(e))
}
