package daemon

import "github.com/warden-sh/warden/host/presets"

// Presets is what Warden knows of agent types and runtimes, and the domains
// each adds to a new project's allowlist.
type Presets struct {
	Agents []presets.Agent `json:"agents"`
	// Runtimes maps each runtime to its registries' domains.
	Runtimes map[string][]string `json:"runtimes"`
	// Infrastructure is what every project gets.
	Infrastructure []string `json:"infrastructure"`
}

// Presets lists the preset data.
func (d *Daemon) Presets() Presets {
	return Presets{
		Agents:         presets.Agents(),
		Runtimes:       presets.Runtimes(),
		Infrastructure: presets.Infrastructure(),
	}
}
