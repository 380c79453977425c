package presets

// The data below is all of Warden's preset knowledge. An entry allows the
// name and every name under it, so each is kept as narrow as the tool's own
// traffic allows.

var agents = []Agent{
	{
		Name:        "claude-code",
		DisplayName: "Claude Code",
		Image:       defaultImage("claude-code"),
		Command:     []string{"claude"},
		// The API, console and telemetry live under anthropic.com; a
		// subscription login goes through claude.ai and claude.com.
		Domains: []string{"anthropic.com", "claude.ai", "claude.com"},
	},
	{
		Name:        "codex",
		DisplayName: "Codex",
		Image:       defaultImage("codex"),
		Command:     []string{"codex"},
		// The API and auth.openai.com under openai.com; a ChatGPT login
		// exchanges its tokens with chatgpt.com.
		Domains: []string{"openai.com", "chatgpt.com"},
	},
}

// infrastructure is what every agent needs whatever its runtimes: GitHub and
// its content hosts, and the apt archives of Ubuntu and of Debian (the agent
// images are built on Debian, and installing packages is normal agent work).
// githubusercontent.com itself is a public suffix (every user's content is
// under it), so its hosts are listed one by one: raw files, release assets
// and the objects they redirect to.
var infrastructure = []string{
	"github.com",
	"raw.githubusercontent.com",
	"objects.githubusercontent.com",
	"release-assets.githubusercontent.com",
	"archive.ubuntu.com",
	"security.ubuntu.com",
	"ports.ubuntu.com",
	"deb.debian.org",
	"security.debian.org",
}

// runtimes maps each runtime to its package registries.
var runtimes = map[string][]string{
	"node":   {"npmjs.org", "npmjs.com", "yarnpkg.com"},
	"python": {"pypi.org", "pythonhosted.org"},
	"go":     {"proxy.golang.org", "sum.golang.org"},
	// static.rust-lang.org serves rustup's toolchains; crates.io serves the
	// index (index.crates.io) and the crates (static.crates.io).
	"rust": {"crates.io", "static.rust-lang.org"},
	"ruby": {"rubygems.org"},
	// Maven Central under both its names; gradle.org serves the wrapper's
	// distributions and the plugin portal, which redirects to gradle-dn.com.
	"java": {"repo.maven.apache.org", "repo1.maven.org", "gradle.org", "downloads.gradle-dn.com"},
}
