package wire

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Where the CLI finds the daemon: its data folder holds the unix socket and
// the token for TCP callers.
const (
	// SocketFile is the daemon's unix socket inside the data folder.
	SocketFile = "warden.sock"
	// DefaultSocketGroup is the group that may use the socket, when it
	// exists (as the docker group may use docker.sock).
	DefaultSocketGroup = "warden"
	// TokenFile is the name of the token file inside the data folder.
	TokenFile = "token"
	// TokenBytes is how much randomness a token carries; it is written as hex.
	TokenBytes = 32
)

// SocketPath is where the daemon listens for the CLI.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketFile) }

// TokenPath is where the daemon keeps its token and where the CLI reads it.
func TokenPath(dataDir string) string { return filepath.Join(dataDir, TokenFile) }

// DefaultDataDir is $XDG_DATA_HOME/warden, else ~/.local/share/warden.
func DefaultDataDir() string {
	if xdg := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "warden")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "warden-"+fmt.Sprint(os.Getuid()))
	}
	return filepath.Join(home, ".local", "share", "warden")
}

// ReadToken reads the token the daemon wrote in dataDir.
func ReadToken(dataDir string) (string, error) { return ReadTokenFile(TokenPath(dataDir)) }

// ReadTokenFile reads a token file, narrowing it to 0600 when others could
// read it.
func ReadTokenFile(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading token: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("reading token: %s is not a regular file", path)
	}
	if info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("narrowing token file %s to mode 0600: %w", path, err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading token: %w", err)
	}
	tok := strings.TrimSpace(string(raw))
	if b, err := hex.DecodeString(tok); err != nil || len(b) != TokenBytes {
		return "", fmt.Errorf("token file %s holds %d characters that are not a token; expect %d hex characters (delete the file to make a new token)",
			path, len(tok), 2*TokenBytes)
	}
	return tok, nil
}
