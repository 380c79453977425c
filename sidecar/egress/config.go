package egress

import (
	"errors"
	"time"
)

// Config says where the gate listens and how it reaches destinations.
type Config struct {
	// Port is the gate's TCP port on 127.0.0.1 and ::1; the firewall
	// redirects the agent's connections to allowed addresses there.
	Port uint16 `json:"port"`
	// Mark is set as SO_MARK on the gate's own connections to destinations,
	// so the firewall neither redirects nor rejects them. Never 0.
	Mark uint32 `json:"mark"`
	// DialTimeout bounds the connection to the destination.
	DialTimeout time.Duration `json:"dialTimeout"`
	// HeadTimeout bounds a ClientHello or request head once its first byte
	// has come; a client that never sends anything is a server-first
	// protocol and is not timed.
	HeadTimeout time.Duration `json:"headTimeout"`
}

// DefaultConfig listens on port 15744 with the sidecar's usual mark.
func DefaultConfig() Config {
	return Config{Port: 15744, Mark: 0x5744, DialTimeout: 10 * time.Second, HeadTimeout: 10 * time.Second}
}

func (c Config) check() error {
	switch {
	case c.Port == 0:
		return errors.New("checking egress config: port 0; expect the gate's port, such as 15744")
	case c.Mark == 0:
		return errors.New("checking egress config: mark 0 would leave the gate's own connections to the rules; expect a non-zero mark such as 0x5744")
	case c.DialTimeout <= 0 || c.HeadTimeout <= 0:
		return errors.New("checking egress config: timeouts must be positive durations such as 10s")
	}
	return nil
}
