package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// The agent type's config folders (claude-code's /home/agent/.claude: its
// login) live under the daemon's data folder on the node, owned by the
// workspace's owner as on Docker, and outlive the pod: written in one,
// read in the next after a stop and a start. Deleting the project removes
// them.
func TestKubeAgentConfigFoldersOutliveThePod(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	data := t.TempDir()
	d := e.openDaemon(t, data)
	ws := newProject(t, shared.ModeNone).Workspace
	require.NoError(t, os.Chown(ws, 1000, 1000))
	p := e.startProject(t, ctx, d, testSpec("logins", ws, shared.ModeNone))
	out, ok := e.execSh(t, p.ID, "agent", "echo token-1 > /home/agent/.claude/login && id -u")
	require.True(t, ok, out)
	onNode := filepath.Join(data, "homes", p.ID, "home", "agent", ".claude", "login")
	b, err := os.ReadFile(onNode)
	require.NoError(t, err, "the login is not in the project's folder on the node")
	require.Equal(t, "token-1\n", string(b))

	pod, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	_, err = d.Stop(ctx, p.ID)
	require.NoError(t, err)
	if _, _, err := d.Start(ctx, p.ID); err != nil {
		t.Fatalf("starting again: %v\n%s", err, e.describe(p.ID))
	}
	again, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEqual(t, pod.UID, again.UID, "the same pod; the test needs a new one")
	out, ok = e.execSh(t, p.ID, "agent", "cat /home/agent/.claude/login")
	require.True(t, ok, out)
	require.Equal(t, "token-1", strings.TrimSpace(out), "the login did not outlive the pod")

	require.NoError(t, d.Delete(ctx, p.ID))
	_, err = os.Stat(filepath.Join(data, "homes", p.ID))
	require.ErrorIs(t, err, os.ErrNotExist, "the project's config folders outlived the project")
}
