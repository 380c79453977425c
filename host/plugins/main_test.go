package plugins

import (
	"os"
	"testing"

	"github.com/warden-sh/warden/test/gobuild"
)

// bins are the plugin programs the tests run, built once.
var bins struct{ example, fake string }

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		runChild(dir)
		return
	}
	gobuild.Main(func(bin map[string]string) int {
		bins.example, bins.fake = bin["example"], bin["fake"]
		return m.Run()
	}, map[string]string{"example": "./examples/aider", "fake": "./internal/fakeplugin"})
}
