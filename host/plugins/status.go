package plugins

// State is where a plugin is in its life.
type State string

const (
	// StateRunning: the process runs and its agent type is registered.
	StateRunning State = "running"
	// StateRestarting: the process died after running; it is being started
	// again, and its agent type stays registered meanwhile.
	StateRestarting State = "restarting"
	// StateFailed: the plugin never loaded (no start, wrong protocol
	// version, invalid definition, name taken) and is not retried; fix it
	// and restart the daemon.
	StateFailed State = "failed"
)

// Status is what is known of one plugin.
type Status struct {
	// Name is the executable's file name, such as warden-agent-aider.
	Name  string `json:"name"`
	Path  string `json:"path"`
	State State  `json:"state"`
	// AgentType is the name of the type it registered, once it did.
	AgentType string `json:"agentType,omitempty"`
	PID       int    `json:"pid,omitempty"`
	// Restarts counts the times it was started again after dying.
	Restarts int `json:"restarts"`
	// Error is what is wrong now; empty while running.
	Error string `json:"error,omitempty"`
	// LastExit says how the process last died, if it ever did.
	LastExit string `json:"lastExit,omitempty"`
}

// Problem reports whether the plugin needs the user's attention.
func (s Status) Problem() bool {
	return s.State != StateRunning || s.Error != "" || s.LastExit != ""
}
