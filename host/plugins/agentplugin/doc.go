// Package agentplugin is the wire between the Warden daemon and an agent-type
// plugin: the versioned handshake and the one call a plugin answers. A
// plugin is a separate executable; its main calls Serve with its agent.Type:
//
//	func main() { agentplugin.Serve(agent.Static(agent.Definition{...})) }
//
//	daemon (host/plugins)                         plugin process
//	  starts it with WARDEN_AGENT_PLUGIN=<cookie> ──►  Serve: cookie checked,
//	  and the protocol versions it speaks              version chosen, listens,
//	  ◄── "1|<version>|unix|<socket>|netrpc" ──────────  prints where
//	  Dispense(PluginName).Definition() ── net/rpc ──►  Type.Definition()
//
// The transport is go-plugin's net/rpc: one call with a plain struct needs no
// generated code, which gRPC would. ProtocolVersion changes whenever the call
// or the Definition it carries changes incompatibly; a daemon refuses a
// plugin that speaks another version, and names both.
package agentplugin
