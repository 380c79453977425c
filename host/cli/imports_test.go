package cli

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The CLI reaches containers through the daemon's API only: no file of it
// opens the Docker runtime, and the terminal commands import nothing of
// the daemon either (their wire types live in host/api/termwire).
func TestCLIIsAClientOfTheAPIOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	terminal := map[string]bool{"exec.go": true, "stream.go": true, "sessions.go": true}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			require.NotEqual(t, "github.com/warden-sh/warden/host/runtime", path, "%s opens the runtime", f)
			require.False(t, strings.HasPrefix(path, "github.com/docker/"), "%s talks to Docker: %s", f, path)
			if terminal[f] {
				require.NotEqual(t, "github.com/warden-sh/warden/host/daemon", path, "%s imports the daemon", f)
			}
		}
	}
}
