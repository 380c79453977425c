package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/warden-sh/warden/shared"
)

// WritePolicy stores p, validated and in canonical form, as the project's
// policy file: written to a temporary file, synced and renamed over the old
// one, so the sidecar never reads half a policy. The sidecar reads it at
// every start; a running sidecar gets changes through its control socket.
func (r *Runtime) WritePolicy(projectID string, p shared.Policy) error {
	if err := checkID(projectID); err != nil {
		return err
	}
	valid, err := p.Validate()
	if err != nil {
		return fmt.Errorf("writing policy of project %s: %w", projectID, err)
	}
	body, err := json.Marshal(valid.Policy())
	if err != nil {
		return fmt.Errorf("encoding policy of project %s: %w", projectID, err)
	}
	dir, err := r.ensureSocketDir(projectID)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, policyFileName), append(body, '\n'))
}

// ensureSocketDir creates the project's folder, readable by its owner only.
func (r *Runtime) ensureSocketDir(projectID string) (string, error) {
	if err := os.MkdirAll(r.cfg.SocketRoot, 0o700); err != nil {
		return "", fmt.Errorf("creating socket folder %s: %w", r.cfg.SocketRoot, err)
	}
	dir := r.SocketDir(projectID)
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("creating socket folder %s: %w", dir, err)
	}
	// A folder left by an older version or another umask is tightened.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("restricting socket folder %s: %w", dir, err)
	}
	return dir, nil
}

func writeFileAtomic(path string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}
