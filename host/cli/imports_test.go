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

// The CLI is a client of the daemon's API only: no file of it opens the
// Docker runtime or imports the daemon or the API's server; the wire types
// live in host/api/wire and host/api/termwire, and `warden serve` gets the
// daemon from host/cmd/warden.
func TestCLIIsAClientOfTheAPIOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
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
			require.NotEqual(t, "github.com/warden-sh/warden/host/daemon", path, "%s imports the daemon", f)
			require.NotEqual(t, "github.com/warden-sh/warden/host/api", path, "%s imports the API's server (wire types are in host/api/wire and termwire)", f)
		}
	}
}
