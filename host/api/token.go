package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/warden-sh/warden/host/api/wire"
)

// TokenFile is the name of the token file inside the data folder.
const TokenFile = wire.TokenFile

// tokenBytes is how much randomness a token carries; it is written as hex.
const tokenBytes = wire.TokenBytes

// TokenPath is where the daemon keeps its token and where the CLI reads it.
func TokenPath(dataDir string) string { return wire.TokenPath(dataDir) }

// LoadOrCreateToken returns the token stored in dataDir, creating the folder
// (0700) and a new random token (file mode 0600) on first use. An existing
// token is reused so the CLI keeps working across restarts; a token file that
// others could read is narrowed to 0600.
func LoadOrCreateToken(dataDir string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("creating data folder %s: %w", dataDir, err)
	}
	path := TokenPath(dataDir)
	tok, err := readToken(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	if err := createToken(path); err != nil {
		return "", err
	}
	return readToken(path)
}

// ReadToken reads the token the daemon wrote in dataDir.
func ReadToken(dataDir string) (string, error) { return wire.ReadToken(dataDir) }

func readToken(path string) (string, error) { return wire.ReadTokenFile(path) }

// createToken writes a new token beside path and links it into place, so a
// crash never leaves a half-written token and two daemons starting at once
// agree on one token.
func createToken(path string) error {
	buf := make([]byte, tokenBytes)
	if _, err := rand.Read(buf); err != nil {
		return fmt.Errorf("generating token: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return fmt.Errorf("creating token file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("setting token file mode: %w", err)
	}
	if _, err := tmp.WriteString(hex.EncodeToString(buf) + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("writing token file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing token file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("placing token file %s: %w", path, err)
	}
	return nil
}
