package project

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkspacePlace(t *testing.T) {
	const data = "/srv/warden-data"
	refused := map[string]string{
		"/":                             "holds ",
		"/etc":                          "lies in /etc",
		"/etc/apt":                      "lies in /etc",
		"/usr/local/src":                "lies in /usr",
		"/root":                         "is /root itself",
		"/home":                         "is /home itself",
		"/var":                          "holds /var/",
		"/var/lib":                      "holds /var/lib/docker",
		"/var/lib/docker":               "lies in /var/lib/docker",
		"/var/lib/docker/volumes/x":     "lies in /var/lib/docker",
		"/var/lib/containerd":           "lies in /var/lib/containerd",
		"/run/containerd":               "lies in /run",
		"/tmp":                          "is /tmp itself",
		"/srv":                          "holds " + data,
		"/srv/warden-data":              "lies in " + data,
		"/srv/warden-data/homes/x/.ssh": "lies in " + data,
	}
	for path, why := range refused {
		t.Run(path, func(t *testing.T) {
			err := CheckWorkspacePlace(path, path, data)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, "workspace", fe.Field)
			require.Equal(t, path, fe.Value)
			require.ErrorContains(t, err, why)
		})
	}
	for _, path := range []string{"/root/src/app", "/home/someone/code/app", "/tmp/build/app", "/srv/app", "/opt/work/app"} {
		require.NoError(t, CheckWorkspacePlace(path, path, data), path)
	}
}

// A link to a system folder is judged by where it leads, and the message
// names both.
func TestBuildRefusesALinkToASystemFolder(t *testing.T) {
	link := filepath.Join(t.TempDir(), "innocent")
	require.NoError(t, os.Symlink("/etc", link))
	_, err := Spec{Name: "x", Workspace: link, AgentType: "claude-code"}.Build(testID, testNow, testTypes)
	var fe *FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	require.ErrorContains(t, err, link)
	require.ErrorContains(t, err, "resolved /etc")
	require.ErrorContains(t, err, "lies in /etc")
}

func TestBuildStoresTheResolvedWorkspace(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "app")
	require.NoError(t, os.Symlink(real, link))
	p := build(t, func(s *Spec) { s.Workspace = link })
	require.Equal(t, link, p.Workspace, "shown as given")
	want, err := filepath.EvalSymlinks(real)
	require.NoError(t, err)
	require.Equal(t, want, p.WorkspaceResolved, "stored as resolved")
}

// A workspace may be a PersistentVolumeClaim (pvc:NAME), kept as given and
// resolved to nothing; a claim that is no object name is refused and named.
func TestBuildTakesAClaimWorkspace(t *testing.T) {
	p := build(t, func(s *Spec) { s.Workspace = "pvc:web-workspace.v2" })
	require.Equal(t, "pvc:web-workspace.v2", p.Workspace)
	require.Empty(t, p.WorkspaceResolved)
	claim, ok := Claim(p.Workspace)
	require.True(t, ok)
	require.Equal(t, "web-workspace.v2", claim)
	for _, bad := range []string{"pvc:", "pvc:Web", "pvc:web_ws", "pvc:-web", "pvc:web/../x", "pvc:" + strings.Repeat("a", 254)} {
		_, err := Spec{Name: "x", Workspace: bad, AgentType: "claude-code"}.Build(testID, testNow, testTypes)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%s: %v", bad, err)
		require.Equal(t, "workspace", fe.Field)
		require.Equal(t, bad, fe.Value)
		require.ErrorContains(t, err, "such as pvc:web-workspace")
	}
}
