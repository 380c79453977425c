package shared

// ListeningPort is one TCP port that a process in a project's network
// namespace listens on, as the sidecar reports it on GET /v1/listening. The
// UI shows it as a port chip; a port listening only on loopback is still
// reachable through the preview proxy (the sidecar relays to it).
type ListeningPort struct {
	Port int `json:"port"`
	// Addresses are the local addresses it listens on ("0.0.0.0", "::",
	// "127.0.0.1", "::1", or a specific address), sorted.
	Addresses []string `json:"addresses"`
	// LoopbackOnly is true when every address is a loopback one, so only a
	// process in the namespace (or the sidecar's relay) can connect.
	LoopbackOnly bool `json:"loopbackOnly"`
}
