package plugins

import (
	"fmt"
	"path/filepath"
	"time"
)

// FilePrefix starts the name of every plugin executable, as in
// warden-agent-aider; other files in the folder are left alone.
const FilePrefix = "warden-agent-"

// Config says where plugins are and how they are kept running.
type Config struct {
	// Dir is the plugins folder. A folder that does not exist holds no
	// plugins; that is not an error. Required, absolute.
	Dir string `json:"dir"`
	// StartTimeout bounds a plugin's start and handshake. Default 10s.
	StartTimeout time.Duration `json:"startTimeout"`
	// RestartDelay is the wait before restarting a plugin that died. It
	// doubles each time the plugin dies again within MaxRestartDelay of its
	// start, up to MaxRestartDelay. Defaults 1s and 1m.
	RestartDelay    time.Duration `json:"restartDelay"`
	MaxRestartDelay time.Duration `json:"maxRestartDelay"`
}

// DefaultConfig returns the defaults; Dir is left empty.
func DefaultConfig() Config {
	return Config{
		StartTimeout:    10 * time.Second,
		RestartDelay:    time.Second,
		MaxRestartDelay: time.Minute,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.StartTimeout <= 0 {
		c.StartTimeout = d.StartTimeout
	}
	if c.RestartDelay <= 0 {
		c.RestartDelay = d.RestartDelay
	}
	if c.MaxRestartDelay < c.RestartDelay {
		c.MaxRestartDelay = max(d.MaxRestartDelay, c.RestartDelay)
	}
	return c
}

func (c Config) validate() error {
	if !filepath.IsAbs(c.Dir) {
		return fmt.Errorf("plugins folder %q is not an absolute path; expect a folder such as ~/.local/share/warden/plugins", c.Dir)
	}
	return nil
}
