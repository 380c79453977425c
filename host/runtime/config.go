package runtime

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/shared"
)

// Config is the runtime's configuration; DefaultConfig gives every field its
// stated default except SocketRoot, which the caller must choose.
type Config struct {
	// SidecarImage is the image every sidecar runs. Default
	// warden-sidecar:latest.
	SidecarImage string `json:"sidecarImage"`
	// SocketRoot is the host folder holding one folder per project with its
	// control socket and policy file; that folder is bind-mounted at
	// /run/warden in the sidecar only. Required, absolute.
	SocketRoot string `json:"socketRoot"`
	// HomeRoot is the host folder holding one folder per project with its
	// agent type's config folders (login and settings), bound into the
	// agent only. Default: "homes" beside SocketRoot.
	HomeRoot string `json:"homeRoot"`
	// MountRoot is the host folder holding one folder per project with the
	// id-mapped views of its workspace and config folders that the agent
	// binds. Default: "mounts" beside SocketRoot.
	MountRoot string `json:"mountRoot"`
	// Agents are the agent types projects may have. Default: the built-in
	// ones (agent.NewRegistry()); the daemon passes its registry, which
	// plugins add to.
	Agents AgentTypes `json:"-"`
	// Network is the Docker network sidecars join. Default bridge.
	Network string `json:"network"`
	// Upstreams are the DNS resolvers (ip:port) the sidecars forward allowed
	// names to. Empty means each sidecar's own /etc/resolv.conf.
	Upstreams []string `json:"upstreams,omitempty"`
	// ClosedHostPorts are TCP ports of the host that no agent may reach,
	// whatever its project's host access: the daemon's own.
	ClosedHostPorts []int `json:"closedHostPorts,omitempty"`
	// ReadyTimeout bounds how long Start waits for a sidecar to report
	// ready. Default 30s.
	ReadyTimeout time.Duration `json:"readyTimeout"`
}

// DefaultConfig returns the defaults; SocketRoot is left empty.
func DefaultConfig() Config {
	return Config{
		SidecarImage: "warden-sidecar:latest",
		Network:      "bridge",
		ReadyTimeout: 30 * time.Second,
	}
}

// withDefaults fills the fields left zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SidecarImage == "" {
		c.SidecarImage = d.SidecarImage
	}
	if c.Network == "" {
		c.Network = d.Network
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = d.ReadyTimeout
	}
	if c.HomeRoot == "" && c.SocketRoot != "" {
		c.HomeRoot = filepath.Join(filepath.Dir(filepath.Clean(c.SocketRoot)), "homes")
	}
	if c.MountRoot == "" && c.SocketRoot != "" {
		c.MountRoot = filepath.Join(filepath.Dir(filepath.Clean(c.SocketRoot)), "mounts")
	}
	if c.Agents == nil {
		c.Agents = agent.NewRegistry()
	}
	return c
}

// maxSocketPath is the longest path a unix socket address can hold on Linux.
const maxSocketPath = 107

// validate checks what a user may set.
func (c Config) validate() error {
	if !filepath.IsAbs(c.SocketRoot) {
		return fmt.Errorf("socket folder %q is not an absolute path; expect a folder such as /var/lib/warden/sockets", c.SocketRoot)
	}
	// The daemon dials SocketRoot/<id>/control.sock, and a unix socket path
	// holds at most 107 bytes.
	if n := len(filepath.Join(c.SocketRoot, "0123456789ab", controlSocketName)); n > maxSocketPath {
		return fmt.Errorf("socket folder %q is too long: its control sockets' paths would be %d bytes, and a unix socket path holds at most %d; choose a shorter folder", c.SocketRoot, n, maxSocketPath)
	}
	if !filepath.IsAbs(c.HomeRoot) {
		return fmt.Errorf("config folder root %q is not an absolute path; expect a folder such as /var/lib/warden/homes", c.HomeRoot)
	}
	if within(c.SocketRoot, c.HomeRoot) || within(c.HomeRoot, c.SocketRoot) {
		return fmt.Errorf("config folder root %q and socket folder %q overlap; the agent must never see the control sockets — expect two folders apart", c.HomeRoot, c.SocketRoot)
	}
	if !filepath.IsAbs(c.MountRoot) {
		return fmt.Errorf("mount folder root %q is not an absolute path; expect a folder such as /var/lib/warden/mounts", c.MountRoot)
	}
	for _, other := range []string{c.SocketRoot, c.HomeRoot} {
		if within(c.MountRoot, other) || within(other, c.MountRoot) {
			return fmt.Errorf("mount folder root %q and folder %q overlap; expect folders apart", c.MountRoot, other)
		}
	}
	if _, err := shared.CheckHostPorts(c.ClosedHostPorts); err != nil {
		return fmt.Errorf("closed %w", err)
	}
	for _, u := range c.Upstreams {
		if _, err := netip.ParseAddrPort(u); err != nil {
			return fmt.Errorf("bad upstream resolver %q; expect ip:port such as 192.0.2.53:53 or [2001:db8::53]:53", u)
		}
	}
	return nil
}
