// Command warden-agent-aider is an example agent-type plugin: it teaches
// Warden to run Aider (aider.chat), an AI pair programmer in the terminal.
// `make` builds it into bin/plugins/; copy it into the daemon's plugins
// folder (warden serve --plugins DIR) and restart the daemon:
//
//	warden presets                                     # lists aider and its domains
//	warden project create --agent aider --image my-aider:latest --workspace ~/code/app
//
// The daemon starts it, agrees on the protocol version with it, and asks for
// the definition below once per start; nothing else is asked of a plugin.
package main

import (
	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/plugins/agentplugin"
)

// definition is Aider as Warden runs it. The daemon checks it like a
// built-in one: the name must fit in a preview URL, every domain must be
// one a user could type, the folders must lie in a home folder.
var definition = agent.Definition{
	Name:        "aider",
	DisplayName: "Aider",
	// An image with aider installed for a user "agent" with sudo (for
	// example `pip install aider-chat` on images/agent-test's recipe).
	Image:   agent.DefaultImage("aider"),
	Command: []string{"aider"},
	Env: map[string]string{
		// Aider would ask PyPI for a newer version on every start.
		"AIDER_CHECK_UPDATE": "false",
		"AIDER_ANALYTICS":    "false",
	},
	// Aider keeps its caches and its chat history index here; API keys
	// come through the project's env.
	ConfigFolders: []string{"/home/agent/.aider"},
	// The model providers Aider talks to most; edit a project's allowlist
	// for others.
	Domains:     []string{"anthropic.com", "openai.com", "openrouter.ai"},
	HealthCheck: []string{"aider", "--version"},
}

func main() {
	agentplugin.Serve(agent.Static(definition))
}
