package project

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// call is one invocation of a watcher's callback.
type call struct {
	ports []int
	err   error
}

// startWatcher runs w until the test ends and returns its calls.
func startWatcher(t *testing.T, w Watcher) <-chan call {
	t.Helper()
	calls := make(chan call, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx, func(ports []int, err error) { calls <- call{ports, err} })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Error("the watcher did not stop")
		}
	})
	return calls
}

// nextCall waits for the next call, at most within.
func nextCall(t *testing.T, calls <-chan call, within time.Duration) call {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(within):
		t.Fatalf("no call within %s", within)
		return call{}
	}
}

func requireQuiet(t *testing.T, calls <-chan call, d time.Duration) {
	t.Helper()
	select {
	case c := <-calls:
		t.Fatalf("unexpected call %v, %v", c.ports, c.err)
	case <-time.After(d):
	}
}

// TestWatchWardenFile follows a file through an edit, a bad edit, a delete
// and a re-creation, each seen within a second.
func TestWatchWardenFile(t *testing.T) {
	dir := t.TempDir()
	calls := make(chan call, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- WatchWardenFile(ctx, dir, func(ports []int, err error) { calls <- call{ports, err} })
	}()

	c := nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Nil(t, c.ports, "no file yet")

	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[3000]}`)
	c = nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Equal(t, []int{3000}, c.ports)

	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[5173,3000]}`)
	c = nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Equal(t, []int{3000, 5173}, c.ports)

	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[5173,`)
	c = nextCall(t, calls, time.Second)
	require.ErrorContains(t, c.err, "invalid JSON")
	require.Equal(t, []int{3000, 5173}, c.ports, "an invalid file keeps the last valid list")

	require.NoError(t, os.Remove(filepath.Join(dir, WardenFileName)))
	c = nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Nil(t, c.ports, "a deleted file declares nothing")

	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[8080]}`)
	c = nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Equal(t, []int{8080}, c.ports)

	// An editor's save: write a temporary file, rename it over the original.
	tmp := writeFile(t, dir, ".warden.json.swp", `{"forwardedPorts":[9090]}`)
	require.NoError(t, os.Rename(tmp, filepath.Join(dir, WardenFileName)))
	c = nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Equal(t, []int{9090}, c.ports)

	// Other files and a rewrite with the same outcome call nothing.
	writeFile(t, dir, "package.json", `{}`)
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[9090], "note":"same ports"}`)
	requireQuiet(t, calls, 3*DefaultDebounce)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher did not stop")
	}
}

// TestWatcherDebounces checks that a burst of writes is read once, with the
// final contents.
func TestWatcherDebounces(t *testing.T) {
	dir := t.TempDir()
	calls := startWatcher(t, Watcher{Workspace: dir, Debounce: 200 * time.Millisecond})
	nextCall(t, calls, time.Second)

	start := time.Now()
	for i := 1; i <= 20; i++ {
		writeFile(t, dir, WardenFileName, `{"forwardedPorts":[`+strconv.Itoa(3000+i)+`]}`)
	}
	require.Less(t, time.Since(start), 200*time.Millisecond, "the burst must fit in the debounce window")
	c := nextCall(t, calls, time.Second)
	require.NoError(t, c.err)
	require.Equal(t, []int{3020}, c.ports)
	requireQuiet(t, calls, 500*time.Millisecond)
}

// TestWatcherReadsDuringEndlessWrites: a file rewritten faster than the
// debounce period is still read, so a busy writer cannot hide it.
func TestWatcherReadsDuringEndlessWrites(t *testing.T) {
	dir := t.TempDir()
	const debounce = 50 * time.Millisecond
	calls := startWatcher(t, Watcher{Workspace: dir, Debounce: debounce})
	nextCall(t, calls, time.Second)

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(debounce / 5):
			}
			// Replaced whole, so no read can see a half-written file.
			tmp := filepath.Join(dir, "next.json")
			_ = os.WriteFile(tmp, []byte(`{"forwardedPorts":[`+strconv.Itoa(i)+`]}`), 0o644)
			_ = os.Rename(tmp, filepath.Join(dir, WardenFileName))
		}
	}()
	defer func() { close(stop); <-done }()

	c := nextCall(t, calls, 20*debounce)
	require.NoError(t, c.err)
	require.Len(t, c.ports, 1)
}

// TestWatcherWorkspaceComesBack removes the whole workspace and creates it
// again; the watcher reports the loss and picks the file up afterwards.
func TestWatcherWorkspaceComesBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	require.NoError(t, os.Mkdir(dir, 0o755))
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[3000]}`)
	calls := startWatcher(t, Watcher{Workspace: dir, Debounce: 20 * time.Millisecond, Retry: 50 * time.Millisecond})
	require.Equal(t, []int{3000}, nextCall(t, calls, time.Second).ports)

	require.NoError(t, os.RemoveAll(dir))
	sawLoss := false
	for !sawLoss {
		c := nextCall(t, calls, time.Second)
		sawLoss = c.err != nil
		if sawLoss {
			require.ErrorContains(t, c.err, dir)
		}
	}

	require.NoError(t, os.Mkdir(dir, 0o755))
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[4000]}`)
	waitForPorts(t, calls, 4000)

	// The folder is watched again: a later edit is seen.
	time.Sleep(200 * time.Millisecond)
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[4001]}`)
	waitForPorts(t, calls, 4001)
}

// TestWatcherMissingWorkspace starts on a folder that does not exist yet.
func TestWatcherMissingWorkspace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	calls := startWatcher(t, Watcher{Workspace: dir, Retry: 50 * time.Millisecond})
	c := nextCall(t, calls, time.Second)
	require.ErrorContains(t, c.err, "watching")
	require.Nil(t, c.ports)

	require.NoError(t, os.Mkdir(dir, 0o755))
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[5000]}`)
	waitForPorts(t, calls, 5000)

	time.Sleep(200 * time.Millisecond)
	writeFile(t, dir, WardenFileName, `{"forwardedPorts":[5001]}`)
	waitForPorts(t, calls, 5001)
}

// waitForPorts skips calls until one reports exactly port, with no error.
func waitForPorts(t *testing.T, calls <-chan call, port int) {
	t.Helper()
	for {
		c := nextCall(t, calls, 2*time.Second)
		if c.err == nil && len(c.ports) == 1 && c.ports[0] == port {
			return
		}
	}
}
