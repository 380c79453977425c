package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// candidate is a file in the plugins folder that looks like a plugin;
// problem is why it cannot be run, if it cannot.
type candidate struct {
	name, path string
	problem    string
}

// discover lists the plugin executables in dir, sorted by name. A folder
// that does not exist holds none; one that another user could change, or
// that lies under such a folder or a symbolic link, is refused
// (checkFolderChain).
func discover(dir string) ([]candidate, error) {
	_, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err == nil {
		// Anyone who may add or swap a file here could run code as the
		// daemon's user.
		if err := checkFolderChain(dir); err != nil {
			return nil, err
		}
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
// The daemon runs plugins as its own user: a file others may change, own
// or point at with a link would let them run code as that user.
func runnable(path string) string {
	info, err := os.Lstat(path)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot be read: %v", err)
	case info.Mode()&fs.ModeSymlink != 0:
		return "is a symbolic link; expect the executable itself"
	case !trustedOwner(ownerOf(info)):
		return fmt.Sprintf("is owned by user %d; expect root or the daemon's user (%d) (chown root)", ownerOf(info), os.Geteuid())
	case !info.Mode().IsRegular():
		return "is not a regular file; expect an executable program"
	case info.Mode().Perm()&0o111 == 0:
		return "is not executable; expect an executable program (chmod +x)"
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Sprintf("may be changed by other users (mode %v); expect it writable by its owner only (chmod go-w)", info.Mode().Perm())
	}
	return ""
}

// ownerOf is the uid owning the file info describes.
func ownerOf(info fs.FileInfo) uint32 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return ^uint32(0)
}
