package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A daemon's instance on the cluster is made once per data folder and kept;
// two data folders get two; a name given wins; a spoilt file is an error
// that names it.
func TestKubeInstanceIsKeptPerDataFolder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	first, err := kubeInstance(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := kubeInstance(cfg)
	if err != nil || again != first {
		t.Fatalf("second start: %q, %v; want %q", again, err, first)
	}
	other := cfg
	other.DataDir = t.TempDir()
	if o, err := kubeInstance(other); err != nil || o == first {
		t.Errorf("another data folder: %q, %v; want a name other than %q", o, err, first)
	}
	given := cfg
	given.Kube.Instance = "dev-1"
	if g, err := kubeInstance(given); err != nil || g != "dev-1" {
		t.Errorf("given dev-1: %q, %v", g, err)
	}
	given.Kube.Instance = "Dev_1"
	if _, err := kubeInstance(given); err == nil || !strings.Contains(err.Error(), `"Dev_1"`) {
		t.Errorf("given Dev_1: %v; want an error naming it", err)
	}
	path := filepath.Join(cfg.DataDir, instanceFile)
	if err := os.WriteFile(path, []byte("not a label!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kubeInstance(cfg); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a spoilt instance file: %v; want an error naming %s", err, path)
	}
}
