package agentplugin

import (
	"github.com/hashicorp/go-plugin"

	"github.com/warden-sh/warden/host/agent"
)

// ProtocolVersion is the version of the call and of agent.Definition as
// this package speaks them.
const ProtocolVersion = 1

// PluginName is the one plugin an agent-type executable serves.
const PluginName = "agent-type"

// Handshake is what daemon and plugin must agree on before any call. The
// cookie only keeps a plugin from running by accident outside the daemon;
// it is no secret.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "WARDEN_AGENT_PLUGIN",
	MagicCookieValue: "d5a3c1e0-warden-agent-type",
}

// Plugins is the set a plugin serves (impl set) or a daemon dispenses from
// (impl nil), for ProtocolVersion.
func Plugins(impl agent.Type) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &Plugin{Impl: impl}}
}

// Serve answers the daemon until it closes the connection; it exits the
// process when started by anything but a Warden daemon.
func Serve(t agent.Type) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         Plugins(t),
	})
}
