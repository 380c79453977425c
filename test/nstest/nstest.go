package nstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
)

// RequireRoot fails the test (never skips it) when the process is not root:
// privileged tests must run in CI.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) to build network namespaces; run it as root, e.g. via `make test`")
	}
}

// NS is a named network namespace that lives until the test ends.
type NS struct {
	Name   string
	Handle netns.NsHandle
}

// New creates a namespace named prefix-<random>, brings its loopback up and
// deletes it when the test ends.
func New(t testing.TB, prefix string) *NS {
	t.Helper()
	RequireRoot(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := prefix + "-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("creating network namespace %s: %v: %s", name, err, out)
	}
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("opening network namespace %s: %v", name, err)
	}
	n := &NS{Name: name, Handle: h}
	t.Cleanup(func() {
		h.Close()
		_ = exec.Command("ip", "netns", "delete", name).Run()
	})
	n.MustExec(t, "ip", "link", "set", "lo", "up")
	return n
}

// Do runs fn with the calling goroutine locked to a thread inside the
// namespace, then switches the thread back.
func (n *NS) Do(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("reading current network namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(n.Handle); err != nil {
		return fmt.Errorf("entering network namespace %s: %w", n.Name, err)
	}
	defer func() {
		if err := netns.Set(orig); err != nil {
			panic(fmt.Sprintf("returning from network namespace %s: %v", n.Name, err))
		}
	}()
	return fn()
}

// Command builds a command that runs inside the namespace.
func (n *NS) Command(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name}, args...)...)
}

// Exec runs a command inside the namespace and returns its combined output.
func (n *NS) Exec(args ...string) (string, error) {
	out, err := n.Command(args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("running %s in %s: %w: %s", strings.Join(args, " "), n.Name, err, out)
	}
	return string(out), nil
}

// MustExec is Exec that fails the test on error.
func (n *NS) MustExec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := n.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
