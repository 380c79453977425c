package presets

// The data below is Warden's preset knowledge beside the agent types (whose
// domains are part of their definitions, host/agent). An entry allows the
// name and every name under it, so each is kept as narrow as the tool's own
// traffic allows.

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
