package enforce

import (
	"testing"

	"github.com/warden-sh/warden/test/gobuild"
)

// Binaries built once for the whole package.
var (
	sidecarBin string
	probeBin   string
)

func TestMain(m *testing.M) {
	gobuild.Main(func(bin map[string]string) int {
		sidecarBin, probeBin = bin["warden-sidecar"], bin["probe"]
		return m.Run()
	}, map[string]string{"warden-sidecar": "../../sidecar/cmd/warden-sidecar", "probe": "../probe"})
}
