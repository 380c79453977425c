// Package gobuild builds the programs a test package runs (the sidecar, the
// daemon, plugins, the test internet) once, in TestMain, as static binaries
// in a temporary folder.
package gobuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Main builds every package in bins (binary name → package path, relative
// to the test's folder), runs the tests with the binaries' paths by name,
// and exits with their code. A failed build exits 1 before any test runs.
func Main(run func(paths map[string]string) int, bins map[string]string) {
	dir, err := os.MkdirTemp("", "warden-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	paths := make(map[string]string, len(bins))
	for name, pkg := range bins {
		path := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", path, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		paths[name] = path
	}
	code := run(paths)
	os.RemoveAll(dir)
	os.Exit(code)
}
