package e2e

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDockerUIStopStartDelete drives a project's life from its card: stop,
// start, and a delete that asks first.
func TestDockerUIStopStartDelete(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")
	b := newBrowser(t, w)
	b.open("/")
	c := card(id)
	state := q(c + " .state-label")
	b.waitJS(state+".textContent === 'Running'", "the card does not show the project running")

	b.press(c + ` button[data-focus="stop"]`)
	b.waitJS(state+".textContent === 'Stopped'", "the card does not show the project stopped")
	require.Equal(t, "exited", w.docker("inspect", "--format", "{{.State.Status}}", "warden-"+id+"-agent"))

	b.press(c + ` button[data-focus="start"]`)
	b.waitJS(state+".textContent === 'Running'", "the card does not show the project running again")
	require.Equal(t, "running", w.docker("inspect", "--format", "{{.State.Status}}", "warden-"+id+"-agent"))

	b.press(c + ` button[data-focus="delete"]`)
	b.waitJS(q("#confirm-dialog")+".open", "delete does not ask first")
	require.Contains(t, b.text("#confirm-title"), "Delete")
	require.Equal(t, "confirm-cancel", eval[string](b, "document.activeElement.id"), "the safe answer has the focus")
	b.screenshot("ui-delete-confirm")
	b.press("#confirm-cancel")
	b.waitJS("!"+q("#confirm-dialog")+".open", "cancel does not close the question")
	require.Len(t, w.projects(t), 1, "cancel deletes nothing")

	b.press(c + ` button[data-focus="delete"]`)
	b.waitJS(q("#confirm-dialog")+".open", "delete does not ask first")
	b.press("#confirm-ok")
	b.waitJS("!"+q(c), "the card stays after the delete")
	require.Empty(t, w.projects(t))
	require.Error(t, exec.Command("docker", "inspect", "warden-"+id+"-agent").Run(), "the containers are gone")
}
