package agent

// Type is one agent type. Built-in types and plugins both implement it; the
// registry keeps what Definition returned, once Check accepts it.
type Type interface {
	Definition() (Definition, error)
}

// Static is a Type whose definition never changes, such as a built-in one
// or the one a simple plugin serves.
func Static(d Definition) Type { return static(d) }

type static Definition

func (s static) Definition() (Definition, error) { return Definition(s).Clone(), nil }
