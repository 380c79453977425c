package e2e

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tasksIn reads how many tasks a container's pids cgroup holds, from the
// host (cgroup v1 with the cgroupfs driver, or v2).
func tasksIn(t *testing.T, containerID string) int {
	t.Helper()
	for _, p := range []string{
		"/sys/fs/cgroup/pids/docker/" + containerID + "/pids.current",
		"/sys/fs/cgroup/system.slice/docker-" + containerID + ".scope/pids.current",
		"/sys/fs/cgroup/docker/" + containerID + "/pids.current",
	} {
		if b, err := os.ReadFile(p); err == nil {
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no pids cgroup found for container %s", containerID)
	return 0
}

func TestDockerForkBombLeavesTheDaemonAndOtherProjects(t *testing.T) {
	w := newWorld(t)
	bomb := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ownedWorkspace(t), "--image", agentImage,
		"--mode", "restricted", "--domain", "github.com", "--pids", "128", "--memory-mb", "256", "--cpus", "0.5", "--start"))
	other := w.createProject("restricted", "github.com")
	require.Contains(t, w.mustCLI("project", "show", bomb), "pids 128, memory 256 MiB, cpus 0.5")
	require.Contains(t, w.mustCLI("project", "show", other), "pids 1024, memory 4096 MiB, cpus 2", "the defaults")

	agent := w.docker("inspect", "--format", "{{.Id}}", "warden-"+bomb+"-agent")
	w.docker("exec", "-d", "warden-"+bomb+"-agent", "bash", "-c", "f(){ f | f & }; f")
	deadline := time.Now().Add(30 * time.Second)
	for tasksIn(t, agent) < 120 {
		require.True(t, time.Now().Before(deadline), "the fork bomb never reached its limit: %d tasks", tasksIn(t, agent))
		time.Sleep(50 * time.Millisecond)
	}

	start := time.Now()
	require.Contains(t, w.mustCLI("project", "ls"), other, "the daemon answers")
	require.True(t, w.probe(other, "resolve", "github.com").OK, "another project works")
	require.True(t, w.probe(other, "tcp", w.addrOf(11, 7)).OK)
	t.Logf("with the bomb at its limit (%d tasks): the daemon and the other project answered in %s", tasksIn(t, agent), time.Since(start))
	require.LessOrEqual(t, tasksIn(t, agent), 128)
}
