package project

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

var (
	testID  = "a1b2c3d4e5f6"
	testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	// testTypes holds the built-in agent types only.
	testTypes = agent.NewRegistry()
)

// validSpec returns a spec that builds, with a fresh workspace folder.
func validSpec(t *testing.T) Spec {
	t.Helper()
	return Spec{
		Name:      "web app",
		Workspace: t.TempDir(),
		AgentType: "claude-code",
		Runtimes:  []string{"node"},
	}
}

// build builds validSpec after edit has changed it.
func build(t *testing.T, edit func(*Spec)) Project {
	t.Helper()
	s := validSpec(t)
	if edit != nil {
		edit(&s)
	}
	p, err := s.Build(testID, testNow, testTypes)
	require.NoError(t, err)
	return p
}

func ptr[T any](v T) *T { return &v }

// writeFile writes name in dir with the given contents.
func writeFile(t *testing.T, dir, name, contents string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(contents), 0o644))
	return path
}
