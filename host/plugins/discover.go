package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// candidate is a file in the plugins folder that looks like a plugin;
// problem is why it cannot be run, if it cannot.
type candidate struct {
	name, path string
	problem    string
}

// discover lists the plugin executables in dir, sorted by name. A folder
// that does not exist holds none; one that others may write is refused.
func discover(dir string) ([]candidate, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil && info.IsDir() && info.Mode().Perm()&0o022 != 0 {
		// Anyone who may add or swap a file here could run code as the
		// daemon's user.
		return nil, fmt.Errorf("plugins folder %s may be changed by other users (mode %v); expect it writable by its owner only (chmod go-w)", dir, info.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading plugins folder %s: %w", dir, err)
	}
	var out []candidate
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, FilePrefix) || len(name) == len(FilePrefix) {
			continue
		}
		c := candidate{name: name, path: filepath.Join(dir, name)}
		c.problem = runnable(c.path)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// runnable says why the file at path must not be run, or "" when it may.
// The daemon runs plugins as its own user: a file others may change would
// let them run code as that user.
func runnable(path string) string {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot be read: %v", err)
	case !info.Mode().IsRegular():
		return "is not a regular file; expect an executable program"
	case info.Mode().Perm()&0o111 == 0:
		return "is not executable; expect an executable program (chmod +x)"
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Sprintf("may be changed by other users (mode %v); expect it writable by its owner only (chmod go-w)", info.Mode().Perm())
	}
	return ""
}
