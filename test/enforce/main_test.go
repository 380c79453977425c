package enforce

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Binaries built once for the whole package.
var (
	sidecarBin string
	probeBin   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "warden-enforce-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sidecarBin = filepath.Join(dir, "warden-sidecar")
	probeBin = filepath.Join(dir, "probe")
	for bin, pkg := range map[string]string{sidecarBin: "../../sidecar/cmd/warden-sidecar", probeBin: "../probe"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
