package egress

import (
	"errors"
	"fmt"
	"time"
)

// Config says which queue the check reads and which conntrack marks carry
// its decisions; the firewall's rules use the same values.
type Config struct {
	// Queue is the NFQUEUE number the firewall hands the agent's packets
	// to while their connection is being judged.
	Queue uint16 `json:"queue"`
	// Marks are the conntrack marks of a connection's state.
	Marks Marks `json:"marks"`
	// HeadTimeout bounds how long a ClientHello or request head may take
	// to arrive whole once its first byte has come.
	HeadTimeout time.Duration `json:"headTimeout"`
	// MaxHeld bounds the packets the kernel holds for the queue; past it
	// the kernel drops packets (their senders send again).
	MaxHeld uint32 `json:"maxHeld"`
}

// Marks are mark values under one mask, on packets and their connections.
// A new TCP connection to an allowed address gets the conntrack mark
// Pending: its packets go to the queue. The check's verdict marks a packet
// Passed or Refused and sends it through the rules again, which save the
// mark to the connection: Passed lets the rest of it go in the kernel,
// Refused resets it.
type Marks struct {
	Mask    uint32 `json:"mask"`
	Pending uint32 `json:"pending"`
	Passed  uint32 `json:"passed"`
	Refused uint32 `json:"refused"`
}

// DefaultConfig reads queue 5744 and marks connections in bits 20 to 22.
func DefaultConfig() Config {
	return Config{
		Queue:       5744,
		Marks:       Marks{Mask: 0x700000, Pending: 0x100000, Passed: 0x200000, Refused: 0x300000},
		HeadTimeout: 10 * time.Second,
		MaxHeld:     16384,
	}
}

func (c Config) check() error {
	m := c.Marks
	switch {
	case m.Mask == 0:
		return errors.New("checking egress config: mark mask 0; expect a mask such as 0x700000")
	case m.Pending == 0 || m.Passed == 0 || m.Refused == 0:
		return errors.New("checking egress config: a connection mark of 0 is the unmarked state; expect non-zero marks such as 0x100000")
	case m.Pending&^m.Mask != 0 || m.Passed&^m.Mask != 0 || m.Refused&^m.Mask != 0:
		return fmt.Errorf("checking egress config: marks %#x, %#x, %#x outside mask %#x", m.Pending, m.Passed, m.Refused, m.Mask)
	case m.Pending == m.Passed || m.Pending == m.Refused || m.Passed == m.Refused:
		return errors.New("checking egress config: the pending, passed and refused marks must differ")
	case c.HeadTimeout <= 0:
		return errors.New("checking egress config: head timeout must be a positive duration such as 10s")
	case c.MaxHeld == 0:
		return errors.New("checking egress config: max held 0; expect a packet count such as 16384")
	}
	return nil
}
