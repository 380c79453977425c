package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
)

func TestDockerSuggestionsAndDryRun(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")

	for _, name := range []string{"a.x.example.com", "b.x.example.com", "a.x.example.com", "blocked.example"} {
		require.Equal(t, "REFUSED", w.probe(id, "resolve", name).Rcode)
	}
	var list []daemon.Suggestion
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("domains", "suggest", id, "--json")), &list))
	require.NotEmpty(t, list)
	require.Equal(t, "example.com", list[0].Entry, "a.x and b.x.example.com under their registrable domain: %+v", list)
	require.Equal(t, 3, list[0].Count)
	require.Len(t, list[0].Names, 2)
	require.Equal(t, "a.x.example.com", list[0].Names[0].Name)
	require.Equal(t, 2, list[0].Names[0].Count)
	require.Equal(t, "b.x.example.com", list[0].Names[1].Name)
	require.Len(t, list, 2, "blocked.example is an entry of its own: %+v", list)
	require.Equal(t, "blocked.example", list[1].Entry)
	text := w.mustCLI("domains", "suggest", id)
	require.Contains(t, text, "a.x.example.com (2)")

	_, errOut, err := w.cli("domains", "suggest", id, "--accept", "3")
	require.Error(t, err)
	require.Contains(t, errOut, "--accept 3 is not on the list")
	require.Contains(t, w.mustCLI("domains", "suggest", id, "--accept", "1"), "applied it in")
	require.Contains(t, strings.Fields(w.mustCLI("domains", "ls", id)), "example.com")
	require.NotEqual(t, "REFUSED", w.probe(id, "resolve", "a.x.example.com").Rcode, "the accepted entry allows the name")

	// A dry run names the contact an edit would break, and changes nothing.
	require.True(t, w.probe(id, "resolve", "api.github.com").OK)
	var before project.Project
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("project", "show", id, "--json")), &before))
	var dr daemon.DryRun
	require.Eventually(t, func() bool {
		require.NoError(t, json.Unmarshal([]byte(w.mustCLI("domains", "rm", id, "github.com", "--dry-run", "--json")), &dr))
		return len(dr.WouldRefuse) == 1
	}, 10*time.Second, 250*time.Millisecond)
	require.True(t, dr.DryRun)
	require.Equal(t, "api.github.com", dr.WouldRefuse[0].Name)
	require.Contains(t, w.mustCLI("domains", "rm", id, "github.com", "--dry-run"), "api.github.com")
	var none daemon.DryRun
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("mode", id, "none", "--dry-run", "--json")), &none))
	refused := []string{}
	for _, r := range none.WouldRefuse {
		refused = append(refused, r.Name)
	}
	require.Equal(t, []string{"api.github.com"}, refused, "mode none refuses every contact (a.x.example.com was no contact: it has no address)")

	var after project.Project
	require.NoError(t, json.Unmarshal([]byte(w.mustCLI("project", "show", id, "--json")), &after))
	require.Equal(t, before.Domains, after.Domains, "nothing changed")
	require.Equal(t, before.Mode, after.Mode)
	require.Equal(t, before.PolicyGen, after.PolicyGen)
	require.True(t, w.probe(id, "resolve", "api.github.com").OK, "the sidecar still allows the name")
}
