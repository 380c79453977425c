package plugins

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The daemon runs plugins as its own user (root, as a rule), so a plugin
// must be a file only that user or root could have put there: the file,
// its folder and every folder up to the root owned by root or the daemon's
// user and writable by no one else, and no symbolic link on the way. A
// folder others may write but whose sticky bit is set and that root owns
// (/tmp) is accepted as a parent: in it no one may rename or remove what
// they do not own.

// trustedOwner reports whether uid may own a plugin or a folder above it.
func trustedOwner(uid uint32) bool {
	return uid == 0 || int(uid) == os.Geteuid()
}

// checkFolderChain checks dir and every parent up to the root.
func checkFolderChain(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("plugins folder %s is not an absolute path", dir)
	}
	for p, first := filepath.Clean(dir), true; ; p, first = filepath.Dir(p), false {
		info, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("checking %s: %w", p, err)
		}
		what := "a parent of the plugins folder"
		if first {
			what = "the plugins folder"
		}
		if err := trustedEntry(p, what, info, !first); err != nil {
			return err
		}
		if !info.IsDir() {
			return fmt.Errorf("reading plugins folder %s: it is not a folder", p)
		}
		if p == "/" {
			return nil
		}
	}
}

// trustedEntry says why the entry at p (described by what) must not be
// trusted, or nil. stickyOK accepts a root-owned sticky folder others may
// write.
func trustedEntry(p, what string, info fs.FileInfo, stickyOK bool) error {
	if info.Mode()&fs.ModeSymlink != 0 {
		target, _ := filepath.EvalSymlinks(p)
		return fmt.Errorf("%s %s is a symbolic link (to %s); expect real folders and files, e.g. name %s itself", what, p, orUnknown(target), orUnknown(target))
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s %s: its owner cannot be read", what, p)
	}
	if !trustedOwner(st.Uid) {
		return fmt.Errorf("%s %s is owned by user %d; expect root or the daemon's user (%d), since the daemon runs plugins as itself (chown root)", what, p, st.Uid, os.Geteuid())
	}
	if info.Mode().Perm()&0o022 != 0 && !(stickyOK && info.Mode()&fs.ModeSticky != 0 && st.Uid == 0) {
		return fmt.Errorf("%s %s may be changed by other users (mode %v); expect it writable by its owner only (chmod go-w)", what, p, info.Mode().Perm())
	}
	return nil
}

// checkPlugin checks the executable at path and every folder above it; it
// runs before each launch, the first and every restart.
func checkPlugin(path string) error {
	if err := checkFolderChain(filepath.Dir(path)); err != nil {
		return err
	}
	if problem := runnable(path); problem != "" {
		return fmt.Errorf("%s %s", path, problem)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "a path that does not resolve"
	}
	return s
}
