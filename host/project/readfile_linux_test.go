package project

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fifoWriter blocks a writer on opening fifo, as an agent would to learn
// when the daemon opens its file. released says, once the writer's open
// returns, whether that happened before ours (armed by ours).
type fifoWriter struct {
	ours     atomic.Bool
	released chan bool
}

func newFIFOWriter(t *testing.T, fifo string) *fifoWriter {
	t.Helper()
	w := &fifoWriter{released: make(chan bool, 1)}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		w.released <- !w.ours.Load()
		f.Close()
	}()
	return w
}

// releaseByUs opens fifo for reading ourselves and reports whether the
// writer had been released by someone else before.
func (w *fifoWriter) releaseByUs(t *testing.T, fifo string) bool {
	t.Helper()
	w.ours.Store(true)
	f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	defer f.Close()
	select {
	case before := <-w.released:
		return before
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was never released, not even by our own open")
		return false
	}
}

// A FIFO planted at .warden.json: a writer waiting on it learns when the
// daemon (root) opens it. The daemon never opens it.
func TestWardenFileFIFOIsNeverOpened(t *testing.T) {
	t.Run("opening it to look, as before, releases the writer", func(t *testing.T) {
		dir := t.TempDir()
		fifo := filepath.Join(dir, WardenFileName)
		require.NoError(t, syscall.Mkfifo(fifo, 0o644))
		w := newFIFOWriter(t, fifo)
		// What the earlier reader did: open without blocking, then look.
		f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		require.NoError(t, err)
		select {
		case before := <-w.released:
			require.True(t, before)
		case <-time.After(10 * time.Second):
			t.Fatal("an open for reading did not release the writer")
		}
		f.Close()
	})
	t.Run("the daemon looks without opening", func(t *testing.T) {
		dir := t.TempDir()
		fifo := filepath.Join(dir, WardenFileName)
		require.NoError(t, syscall.Mkfifo(fifo, 0o644))
		w := newFIFOWriter(t, fifo)
		_, err := ReadWardenFile(dir)
		require.ErrorContains(t, err, "a FIFO")
		require.False(t, w.releaseByUs(t, fifo), "the daemon's look released the waiting writer")
	})
}

func TestPrivilegedWardenFileDeviceIsNeverOpened(t *testing.T) {
	dir := t.TempDir()
	// /dev/null's numbers; opening it would be harmless, but the point is
	// that no device node is opened at all.
	err := syscall.Mknod(filepath.Join(dir, WardenFileName), syscall.S_IFCHR|0o644, int(1<<8|3))
	if err != nil {
		t.Fatalf("this test needs root to make a device node: %v", err)
	}
	_, err = ReadWardenFile(dir)
	require.ErrorContains(t, err, "a character device")
}
