package runtime

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDockerLoginSurvivesRecreation proves the point of config folders: what
// the agent writes there (its login) is still there after its container is
// recreated, and the agent's user can write it.
func TestDockerLoginSurvivesRecreation(t *testing.T) {
	w := newDockerWorld(t)
	p := w.newProject(t)
	w.start(t, p)
	before := w.inspect(t, agentName(p.ID)).ID

	code, _, errOut := w.run(t, p, "", "sh", "-c", `echo token > "$CLAUDE_CONFIG_DIR/.credentials.json"`)
	require.Zero(t, code, "the image's user writes its config folder: %s", errOut)

	p.Env = map[string]string{"WARDEN_TEST": "2"}
	w.start(t, p)
	require.NotEqual(t, before, w.inspect(t, agentName(p.ID)).ID, "the agent container was recreated")
	code, out, errOut := w.run(t, p, "", "cat", "/home/agent/.claude/.credentials.json")
	require.Zero(t, code, errOut)
	require.Equal(t, "token", strings.TrimSpace(out))
}
