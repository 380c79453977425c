package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestXtermBundleComesFromDebiansFiles(t *testing.T) {
	js, css, err := bundleXterm(DefaultXtermDirs)
	require.NoError(t, err, "the Makefile installs libjs-xterm and node-xterm")
	require.Contains(t, string(css), ".xterm")
	src := string(js)
	require.Contains(t, src, `"public/Terminal": function (require, module, exports)`)
	require.Contains(t, src, `"addons/fit/fit": function`)
	require.Contains(t, src, "export const Terminal")
	require.NotContains(t, src, `.test": function`, "test files are left out")
}

func TestXtermMissingIsReported(t *testing.T) {
	dir := t.TempDir()
	_, _, err := bundleXterm(XtermDirs{Lib: filepath.Join(dir, "lib"), Browser: dir})
	require.ErrorContains(t, err, "libjs-xterm")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "xterm.css"), []byte(".xterm{}"), 0o644))
	_, _, err = bundleXterm(XtermDirs{Lib: filepath.Join(dir, "lib"), Browser: dir})
	require.ErrorContains(t, err, "node-xterm")

	s := &staticFiles{byPath: map[string]staticFile{}}
	require.Error(t, s.addXterm(XtermDirs{Lib: dir, Browser: dir}))
	body := string(s.byPath["/static/vendor/xterm.js"].body)
	require.True(t, strings.HasPrefix(body, "throw new Error("), "the page learns why: %s", body)
}
