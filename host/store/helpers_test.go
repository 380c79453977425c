package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openTemp opens a store in a fresh folder, closed when the test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "warden.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testProject is a valid project whose ID is derived from n and which was
// created n minutes after epoch.
func testProject(n int) project.Project {
	at := epoch.Add(time.Duration(n) * time.Minute)
	return project.Project{
		ID:        fmt.Sprintf("%012x", n),
		Name:      fmt.Sprintf("project %d", n),
		Workspace: "/home/user/src/p",
		AgentType: "claude-code",
		Runtimes:  []string{"node"},
		Mode:      shared.ModeRestricted,
		Domains:   []string{"anthropic.com", "github.com"},
		Ports:     []int{3000},
		Image:     "",
		Env:       map[string]string{"A": "1"},
		Desired:   project.DesiredStopped,
		PolicyGen: 1,
		CreatedAt: at,
		UpdatedAt: at,
	}
}

func event(n int) shared.Event {
	return shared.Event{
		Time:     epoch.Add(time.Duration(n) * time.Second),
		Kind:     shared.EventDNSRefused,
		Name:     fmt.Sprintf("blocked-%d.example", n),
		QType:    "A",
		Protocol: "udp",
		Port:     n,
	}
}

func events(from, to int) []shared.Event {
	var out []shared.Event
	for i := from; i <= to; i++ {
		out = append(out, event(i))
	}
	return out
}
