package plugins

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/hashicorp/go-plugin"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/plugins/agentplugin"
)

// Registry is what the loader does to the agent-type registry
// (*agent.Registry).
type Registry interface {
	// Add asks t for its definition, checks it and registers it for the
	// plugin, or says why not.
	Add(plugin string, t agent.Type) (agent.Definition, error)
	Remove(plugin string)
}

// launched is a plugin process that passed the handshake and registered
// its type.
type launched struct {
	client *plugin.Client
	def    agent.Definition
	pid    int
	stderr *tail
}

// launch starts the plugin at path, agrees on the protocol, and registers
// what it defines under name. On failure nothing is left running.
func launch(name, path string, cfg Config, reg Registry, log *slog.Logger) (launched, error) {
	// Checked again now: the file or a folder above it may have changed
	// since the folder was read or the plugin last ran.
	if err := checkPlugin(path); err != nil {
		return launched{}, fmt.Errorf("refusing to run it: %w", err)
	}
	stderr := newTail(4, 512)
	cmd := exec.Command(path)
	dieWithDaemon(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: agentplugin.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{
			agentplugin.ProtocolVersion: agentplugin.Plugins(nil),
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		StartTimeout:     cfg.StartTimeout,
		// Only this daemon may call the plugin, and the plugin only
		// answers the process that started it.
		AutoMTLS: true,
		Logger:   newHCLog(log),
		Stderr:   stderr,
	})
	fail := func(err error) (launched, error) {
		client.Kill()
		return launched{}, err
	}
	if _, err := client.Start(); err != nil {
		// Before the handshake, what the program printed tells most; Kill
		// waits until all of it is read.
		client.Kill()
		if last := stderr.String(); last != "" {
			return launched{}, fmt.Errorf("%w (its last output: %s)", handshakeError(err), last)
		}
		return launched{}, handshakeError(err)
	}
	rpc, err := client.Client()
	if err != nil {
		return fail(fmt.Errorf("connecting to the plugin: %w", err))
	}
	t, err := agentplugin.Dispense(rpc)
	if err != nil {
		return fail(err)
	}
	def, err := reg.Add(name, t)
	if err != nil {
		return fail(fmt.Errorf("registering its agent type: %w", err))
	}
	pid := 0
	if rc := client.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	return launched{client: client, def: def, pid: pid, stderr: stderr}, nil
}

// errIncompatible marks a plugin that speaks another protocol version.
var errIncompatible = errors.New("speaks another protocol version")

// handshakeError turns go-plugin's start errors into what a user can act on.
func handshakeError(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "incompatible API version"):
		return fmt.Errorf("%w than this daemon (%d): %v; expect a plugin built against host/plugins/agentplugin protocol version %d",
			errIncompatible, agentplugin.ProtocolVersion, err, agentplugin.ProtocolVersion)
	case strings.Contains(msg, "incompatible core API version"):
		return fmt.Errorf("%w of go-plugin itself: %v; expect a plugin built with github.com/hashicorp/go-plugin v1", errIncompatible, err)
	case strings.Contains(msg, "Unrecognized remote plugin message"), strings.Contains(msg, "plugin exited before we could connect"):
		return fmt.Errorf("failed the handshake: %v; expect a program that calls agentplugin.Serve and answers the %s cookie", firstLine(msg), agentplugin.Handshake.MagicCookieKey)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("did not complete the handshake in time: %v; expect a program that calls agentplugin.Serve at once", err)
	}
	return fmt.Errorf("starting: %w", err)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
