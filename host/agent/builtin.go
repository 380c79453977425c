package agent

// builtins are the agent types Warden ships with. Their images are built by
// `make images` from images/<name>/Dockerfile: user "agent" (uid 1000, home
// /home/agent) with sudo, the agent's CLI from npm.
var builtins = []Definition{
	{
		Name:        "claude-code",
		DisplayName: "Claude Code",
		Image:       DefaultImage("claude-code"),
		Command:     []string{"claude"},
		Env: map[string]string{
			// Claude Code keeps its settings file (.claude.json) in its
			// config folder only when told so; otherwise it lands in the
			// home folder and the login half survives recreation.
			"CLAUDE_CONFIG_DIR": "/home/agent/.claude",
			// The CLI is installed for all users; the agent cannot update
			// it in place, and should not try on every start.
			"DISABLE_AUTOUPDATER": "1",
		},
		ConfigFolders: []string{"/home/agent/.claude"},
		// The API, console and telemetry live under anthropic.com; a
		// subscription login goes through claude.ai and claude.com.
		Domains:     []string{"anthropic.com", "claude.ai", "claude.com"},
		HealthCheck: []string{"claude", "--version"},
	},
	{
		Name:        "codex",
		DisplayName: "Codex",
		Image:       DefaultImage("codex"),
		Command:     []string{"codex"},
		Env:         map[string]string{"CODEX_HOME": "/home/agent/.codex"},
		// Login (auth.json), config.toml and session history.
		ConfigFolders: []string{"/home/agent/.codex"},
		// The API and auth.openai.com under openai.com; a ChatGPT login
		// exchanges its tokens with chatgpt.com.
		Domains:     []string{"chatgpt.com", "openai.com"},
		HealthCheck: []string{"codex", "--version"},
	},
}

// Builtins returns the built-in agent types, in the order they are shown.
func Builtins() []Type {
	out := make([]Type, len(builtins))
	for i, d := range builtins {
		out[i] = Static(d)
	}
	return out
}
