package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A deny entry added through the CLI reaches the running sidecar: the
// agent can no longer resolve the denied name under an allowed one, while
// the allowed name keeps working; the CLI lists the entry and the refusal.
// An entry over shared suffixes needs the flag, then is applied like any.
func TestDockerDenyEntryAndSharedSuffixesThroughTheCLI(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")

	r := w.probe(id, "resolve", "gist.github.com")
	require.True(t, r.OK, "without the deny entry github.com covers gist: %+v", r)

	out := w.mustCLI("domains", "add", id, "!gist.github.com")
	require.Contains(t, out, "applied")
	require.Equal(t, "!gist.github.com\ngithub.com\n", w.mustCLI("domains", "ls", id))
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "gist.github.com").Rcode)
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "x.gist.github.com").Rcode)
	r = w.probe(id, "resolve", "api.github.com")
	require.True(t, r.OK, "the parent's other names still resolve: %+v", r)
	require.Equal(t, []string{w.ip(12)}, r.Addrs)
	require.Contains(t, w.mustCLI("events", id), "refused   x.gist.github.com")

	_, errOut, err := w.cli("domains", "add", id, "amazonaws.com")
	require.Error(t, err)
	require.Contains(t, errOut, "s3.amazonaws.com")
	require.Contains(t, errOut, "--allow-shared-suffixes")
	require.Equal(t, "!gist.github.com\ngithub.com\n", w.mustCLI("domains", "ls", id), "nothing was applied")
	w.mustCLI("domains", "add", id, "amazonaws.com", "--allow-shared-suffixes")
	require.Equal(t, []string{"!gist.github.com", "amazonaws.com", "github.com"}, strings.Fields(w.mustCLI("domains", "ls", id)))

	w.mustCLI("domains", "rm", id, "!gist.github.com")
	require.True(t, w.probe(id, "resolve", "gist.github.com").OK, "removing the deny entry opens the name again")
}
