package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

// Two projects whose workspaces nest would let the outer one's agent
// replace a folder on the way to the inner one's workspace; the second of
// them is refused, whichever comes first, and so is the same folder twice.
func TestCreateRefusesNestedWorkspaces(t *testing.T) {
	parent := t.TempDir()
	inner := filepath.Join(parent, "app")
	require.NoError(t, os.Mkdir(inner, 0o755))
	sibling := filepath.Join(parent, "lib")
	require.NoError(t, os.Mkdir(sibling, 0o755))
	linkToInner := filepath.Join(t.TempDir(), "app-link")
	require.NoError(t, os.Symlink(inner, linkToInner))

	for _, tc := range []struct{ name, first, second string }{
		{"inside another", parent, inner},
		{"around another", inner, parent},
		{"the same folder", inner, inner},
		{"the same folder through a link", inner, linkToInner},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			first, err := env.d.Create(context.Background(), project.Spec{Name: "first", Workspace: tc.first, AgentType: "codex"})
			require.NoError(t, err)
			_, err = env.d.Create(context.Background(), project.Spec{Name: "second", Workspace: tc.second, AgentType: "codex"})
			var fe *project.FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, "workspace", fe.Field)
			require.Equal(t, tc.second, fe.Value)
			require.ErrorContains(t, err, first.ID)
			require.ErrorContains(t, err, "inside or around")
			ps, _ := env.st.List()
			require.Len(t, ps, 1, "nothing more is stored")
		})
	}
	t.Run("side by side is fine", func(t *testing.T) {
		env := newTestEnv(t)
		_, err := env.d.Create(context.Background(), project.Spec{Name: "a", Workspace: inner, AgentType: "codex"})
		require.NoError(t, err)
		_, err = env.d.Create(context.Background(), project.Spec{Name: "b", Workspace: sibling, AgentType: "codex"})
		require.NoError(t, err)
	})
}

func TestCreateRefusesTheDataFolder(t *testing.T) {
	env := newTestEnv(t)
	data := env.d.cfg.DataDir
	require.NoError(t, os.MkdirAll(filepath.Join(data, "homes", "x"), 0o700))
	for _, ws := range []string{data, filepath.Dir(data), filepath.Join(data, "homes", "x")} {
		_, err := env.d.Create(context.Background(), project.Spec{Name: "x", Workspace: ws, AgentType: "codex"})
		var fe *project.FieldError
		require.True(t, errors.As(err, &fe), "%s: %v", ws, err)
		require.ErrorContains(t, err, data)
	}
}

func TestCreateRefusesTheEnginesStateFolder(t *testing.T) {
	env := newTestEnv(t)
	env.rt.engineRoot = t.TempDir()
	ws := filepath.Join(env.rt.engineRoot, "volumes", "x")
	require.NoError(t, os.MkdirAll(ws, 0o755))
	_, err := env.d.Create(context.Background(), project.Spec{Name: "x", Workspace: ws, AgentType: "codex"})
	require.ErrorContains(t, err, "lies in "+env.rt.engineRoot)
}

// A PersistentVolumeClaim workspace is refused on Docker, which cannot mount
// one; on the kubernetes backend a claim goes to one project only.
func TestCreateTakesAClaimOnKubernetesOnly(t *testing.T) {
	env := newTestEnv(t)
	spec := project.Spec{Name: "on-claim", Workspace: "pvc:web-ws", AgentType: "codex"}
	_, err := env.d.Create(context.Background(), spec)
	var fe *project.FieldError
	require.True(t, errors.As(err, &fe), "%v", err)
	require.Equal(t, "pvc:web-ws", fe.Value)
	require.ErrorContains(t, err, "only the kubernetes backend mounts")

	env.d.cfg.Backend = BackendKubernetes
	first, err := env.d.Create(context.Background(), spec)
	require.NoError(t, err)
	require.Equal(t, "pvc:web-ws", first.Workspace)
	spec.Name = "again"
	_, err = env.d.Create(context.Background(), spec)
	require.True(t, errors.As(err, &fe), "%v", err)
	require.ErrorContains(t, err, first.ID)
	_, err = env.d.Create(context.Background(), project.Spec{Name: "other", Workspace: "pvc:other-ws", AgentType: "codex"})
	require.NoError(t, err)
	ps, _ := env.st.List()
	require.Len(t, ps, 2)
}
