package agentplugin

import (
	"errors"
	"fmt"
	"net/rpc"

	"github.com/hashicorp/go-plugin"

	"github.com/warden-sh/warden/host/agent"
)

// Plugin is go-plugin's view of an agent type: Impl on the plugin's side,
// nothing on the daemon's.
type Plugin struct {
	Impl agent.Type
}

var _ plugin.Plugin = (*Plugin)(nil)

// Server returns what the plugin registers for net/rpc.
func (p *Plugin) Server(*plugin.MuxBroker) (any, error) {
	if p.Impl == nil {
		return nil, errors.New("agent-type plugin served without an implementation")
	}
	return &rpcServer{impl: p.Impl}, nil
}

// Client returns the daemon's agent.Type over the connection.
func (p *Plugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &rpcClient{c: c}, nil
}

// DefinitionArgs are the arguments of the Definition call: the version the
// daemon speaks, for a plugin that wants to know.
type DefinitionArgs struct {
	Protocol int
}

type rpcServer struct{ impl agent.Type }

// Definition is the one call: net/rpc's shape of agent.Type.Definition.
func (s *rpcServer) Definition(_ DefinitionArgs, reply *agent.Definition) error {
	d, err := s.impl.Definition()
	if err != nil {
		return err
	}
	*reply = d
	return nil
}

type rpcClient struct{ c *rpc.Client }

// Definition asks the plugin for its definition, unchecked.
func (c *rpcClient) Definition() (agent.Definition, error) {
	var d agent.Definition
	if err := c.c.Call("Plugin.Definition", DefinitionArgs{Protocol: ProtocolVersion}, &d); err != nil {
		return agent.Definition{}, fmt.Errorf("calling the plugin: %w", err)
	}
	return d, nil
}

// Dispense returns the agent type a started plugin client serves.
func Dispense(c plugin.ClientProtocol) (agent.Type, error) {
	raw, err := c.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispensing %q: %w", PluginName, err)
	}
	t, ok := raw.(agent.Type)
	if !ok {
		return nil, fmt.Errorf("dispensing %q: got %T, not an agent type", PluginName, raw)
	}
	return t, nil
}
