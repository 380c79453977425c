package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

// The crash test re-executes this test binary as a writer process; these
// variables tell it to write instead of running the tests.
const (
	crashStoreEnv = "WARDEN_STORE_CRASH_CHILD"
	crashRoundEnv = "WARDEN_STORE_CRASH_ROUND"
)

// counterID is the project the writer updates in place and logs events to.
const counterID = "c0c0c0c0c0c0"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashStoreEnv); path != "" {
		round, _ := strconv.Atoi(os.Getenv(crashRoundEnv))
		os.Exit(crashWriter(path, round))
	}
	os.Exit(m.Run())
}

// crashWriter writes until it is killed, printing one line per write only
// after the store acknowledged it: "create ID", "update GEN", "event N",
// "delete ID". Before a delete it also prints "deleting ID": a kill between
// the two leaves the project either there or gone.
func crashWriter(path string, round int) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := Open(path)
	if err != nil {
		return fail(err)
	}
	if err := s.Create(crashProject(counterID)); err != nil && !errors.Is(err, ErrExists) {
		return fail(err)
	}
	fmt.Println("ready")
	for i := 1; ; i++ {
		id := fmt.Sprintf("%02x%010x", round, i)
		if err := s.Create(crashProject(id)); err != nil {
			return fail(err)
		}
		fmt.Println("create", id)

		p, err := s.Update(counterID, func(cur project.Project) (project.Project, error) {
			cur.PolicyGen++
			cur.Name = fmt.Sprintf("gen %d", cur.PolicyGen) // changes with PolicyGen or not at all
			cur.Domains = append(cur.Domains, fmt.Sprintf("d%d.example.com", cur.PolicyGen))
			return cur, nil
		})
		if err != nil {
			return fail(err)
		}
		fmt.Println("update", p.PolicyGen)

		n := round*1_000_000 + i
		if err := s.AppendEvents(counterID, []shared.Event{event(n)}); err != nil {
			return fail(err)
		}
		fmt.Println("event", n)

		if i%5 == 0 {
			gone := fmt.Sprintf("%02x%010x", round, i-2)
			fmt.Println("deleting", gone)
			if err := s.Delete(gone); err != nil {
				return fail(err)
			}
			fmt.Println("delete", gone)
		}
	}
}

func crashProject(id string) project.Project {
	p := testProject(1)
	p.ID = id
	p.Name = "crash " + id
	return p
}

// Acknowledged state of a created project.
const (
	live = iota
	deleted
	mayBeDeleted // its delete was under way when the writer was killed
)

// acks is what the writers were told is stored, over all rounds.
type acks struct {
	created   map[string]int // live, deleted or mayBeDeleted
	gen       uint64         // last acknowledged PolicyGen of the counter
	lastEvent int
	writes    int
}

func (a *acks) add(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	switch verb {
	case "ready":
		return nil
	case "create":
		a.created[arg] = live
	case "deleting":
		a.created[arg] = mayBeDeleted
		return nil
	case "delete":
		a.created[arg] = deleted
	case "update":
		gen, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			return err
		}
		a.gen = gen
	case "event":
		n, err := strconv.Atoi(arg)
		if err != nil {
			return err
		}
		a.lastEvent = n
	default:
		return fmt.Errorf("unexpected line %q", line)
	}
	a.writes++
	return nil
}

// TestKill9LosesNoAcknowledgedWrite kills a writing process with SIGKILL at
// random moments, round after round on the same file, and checks after
// each kill that the file is sound and holds every acknowledged write.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warden.db")
	a := &acks{created: map[string]int{}}
	const rounds = 10
	for round := 1; round <= rounds; round++ {
		// Most rounds kill mid-writes; some kill while the store opens.
		duringOpen := round%4 == 0
		n := crashRound(t, path, round, a, duringOpen)
		t.Logf("round %d: killed after %d acknowledged writes (during open: %v)", round, n, duringOpen)
		checkAfterCrash(t, path, a)
	}
	require.Greater(t, a.writes, rounds, "the writers must have written something")
}

// crashRound runs one writer, kills it and records its acknowledgements.
func crashRound(t *testing.T, path string, round int, a *acks, duringOpen bool) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashStoreEnv+"="+path, crashRoundEnv+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	ready := make(chan struct{})
	lines := make(chan []string, 1)
	go func() {
		var got []string
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break // a line without its newline was never acknowledged
			}
			line = strings.TrimSuffix(line, "\n")
			if line == "ready" {
				close(ready)
			}
			got = append(got, line)
		}
		_, _ = io.Copy(io.Discard, r)
		lines <- got
	}()

	if duringOpen {
		time.Sleep(rand.N(30 * time.Millisecond))
	} else {
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("the writer did not start: %s", stderr.String())
		}
		time.Sleep(rand.N(150 * time.Millisecond))
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	got := <-lines
	err = cmd.Wait()

	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, status.Signaled() && status.Signal() == syscall.SIGKILL,
		"the writer must die by SIGKILL, not stop on its own: %v\n%s", err, stderr.String())

	before := a.writes
	for _, line := range got {
		require.NoError(t, a.add(line))
	}
	return a.writes - before
}

// checkAfterCrash reopens the file and compares it with the acknowledgements.
func checkAfterCrash(t *testing.T, path string, a *acks) {
	t.Helper()
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	require.False(t, s.db.NoSync, "every commit must be fsynced")

	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		var problems []error
		for err := range tx.Check() { // drained whole: Check's goroutine sends them all
			problems = append(problems, err)
		}
		return errors.Join(problems...)
	}), "the file is consistent")

	for id, state := range a.created {
		p, err := s.Get(id)
		switch state {
		case deleted:
			require.ErrorIs(t, err, ErrNotFound, "acknowledged delete of %s", id)
		case live:
			require.NoError(t, err, "acknowledged create of %s", id)
			require.Equal(t, crashProject(id), p)
		case mayBeDeleted:
			if err == nil {
				require.Equal(t, crashProject(id), p)
			} else {
				require.ErrorIs(t, err, ErrNotFound)
			}
		}
	}

	if a.gen > 0 {
		c, err := s.Get(counterID)
		require.NoError(t, err)
		// The write after the last acknowledged one may have committed
		// before the writer could say so; nothing older may be missing.
		require.Contains(t, []uint64{a.gen, a.gen + 1}, c.PolicyGen)
		require.Equal(t, fmt.Sprintf("gen %d", c.PolicyGen), c.Name, "a record is written whole")
		require.Len(t, c.Domains, len(crashProject(counterID).Domains)+int(c.PolicyGen-1))
	}
	if a.lastEvent > 0 {
		evs, err := s.Events(counterID, 0)
		require.NoError(t, err)
		require.Contains(t, evs, event(a.lastEvent), "acknowledged event %d", a.lastEvent)
		for i := 1; i < len(evs); i++ {
			require.Less(t, evs[i-1].Port, evs[i].Port, "events stay in order")
		}
	}
}
