package e2e

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDockerUISuggestionsAndEditDryRun(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	require.True(t, w.probe(id, "resolve", "api.github.com").OK)
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "a.x.example.com").Rcode)
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "b.x.example.com").Rcode)

	b := newBrowser(t, w)
	b.open("/#/projects/" + id)
	row := `.suggestion[data-entry="example.com"]`
	b.waitJS(q(row), "the suggestion never showed")
	require.Contains(t, b.text(row), "a.x.example.com (1)")
	require.Contains(t, b.text(row), "b.x.example.com (1)")
	require.Contains(t, b.text(row), "2 refused")
	b.screenshot("ui-suggestions")
	b.press(row + ` button[data-focus="suggest-example.com"]`)
	b.waitJS(`[...document.querySelectorAll('#notices .notice')].some(n => n.textContent.includes('example.com allowed'))`,
		"no notice that the entry is allowed")
	require.Contains(t, w.project(t, id).Domains, "example.com")
	b.waitJS("!"+q(row), "an allowed entry is no longer suggested")

	// The edit dialog asks before a change that refuses a name the agent
	// reached, and saves nothing when told no.
	b.open("/")
	c := card(id)
	b.waitJS(q(c+" .state-label")+".textContent === 'Running'", "the card does not show the project running")
	b.press(c + ` button[data-focus="edit"]`)
	b.waitJS(q("#edit-dialog")+".open", "the edit dialog did not open")
	b.setValue("#edit-domains", "example.com")
	b.press("#edit-form button[type=submit]")
	b.waitJS(q("#confirm-dialog")+".open", "no question before refusing a reached name")
	require.Contains(t, b.text("#confirm-text"), "api.github.com")
	b.screenshot("ui-edit-dry-run")
	b.press("#confirm-cancel")
	b.waitJS("!"+q("#confirm-dialog")+".open && "+q("#edit-dialog")+".open", "the edit dialog stays open")
	require.True(t, slices.Contains(w.project(t, id).Domains, "github.com"), "nothing was saved")
	require.True(t, w.probe(id, "resolve", "api.github.com").OK)

	b.press("#edit-form button[type=submit]")
	b.waitJS(q("#confirm-dialog")+".open", "the question comes again")
	b.press("#confirm-ok")
	b.waitJS(`[...document.querySelectorAll('#notices .notice')].some(n => /Applied by the sidecar in [0-9.]+ ms/.test(n.textContent))`,
		"no notice that the sidecar applied the change")
	require.NotContains(t, w.project(t, id).Domains, "github.com")
	require.Equal(t, "REFUSED", w.probe(id, "resolve", "api.github.com").Rcode)
}
