package daemon

import (
	"github.com/warden-sh/warden/host/api/wire"
	"github.com/warden-sh/warden/host/plugins"
	"github.com/warden-sh/warden/host/presets"
	"github.com/warden-sh/warden/host/project"
)

// Presets is the API's wire type (host/api/wire).
type Presets = wire.Presets

// Presets lists the preset data and the plugins' state.
func (d *Daemon) Presets() Presets {
	ps := d.plugins.Status()
	if ps == nil {
		ps = []plugins.Status{}
	}
	return Presets{
		Agents:         d.agents.List(),
		Runtimes:       presets.Runtimes(),
		Infrastructure: presets.Infrastructure(),
		Plugins:        ps,
		Limits:         project.DefaultLimits(),
	}
}
