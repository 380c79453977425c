package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

// pidsCurrent reads how many tasks the container's cgroup holds, from the
// host (cgroup v1 with the cgroupfs driver, or v2).
func pidsCurrent(t *testing.T, id string) int {
	t.Helper()
	for _, p := range []string{
		filepath.Join("/sys/fs/cgroup/pids/docker", id, "pids.current"),
		filepath.Join("/sys/fs/cgroup/system.slice", "docker-"+id+".scope", "pids.current"),
		filepath.Join("/sys/fs/cgroup/docker", id, "pids.current"),
	} {
		if b, err := os.ReadFile(p); err == nil {
			n, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err)
			return n
		}
	}
	t.Fatalf("no pids cgroup found for container %s", id)
	return 0
}

func TestDockerForkBombStaysInItsProject(t *testing.T) {
	w := newDockerWorld(t)
	bomb := w.newProject(t)
	bomb.Limits = project.Limits{PIDs: 128, MemoryMB: 256, CPUs: 0.5}
	other := w.newProject(t)
	w.start(t, bomb)
	w.start(t, other)

	agent := w.inspect(t, agentName(bomb.ID))
	require.Equal(t, int64(128), *agent.HostConfig.PidsLimit)
	require.Equal(t, int64(256)<<20, agent.HostConfig.Memory)
	require.Equal(t, int64(5e8), agent.HostConfig.NanoCPUs)

	ctx := context.Background()
	ex, err := w.cli.ContainerExecCreate(ctx, agentName(bomb.ID), container.ExecOptions{
		Cmd: []string{"bash", "-c", "f(){ f | f & }; f"}, Detach: true})
	require.NoError(t, err)
	require.NoError(t, w.cli.ContainerExecStart(ctx, ex.ID, container.ExecStartOptions{Detach: true}))

	// The bomb fills its cgroup up to the limit and no further.
	deadline := time.Now().Add(30 * time.Second)
	for pidsCurrent(t, agent.ID) < 120 {
		require.True(t, time.Now().Before(deadline), "the fork bomb never reached the limit: %d tasks", pidsCurrent(t, agent.ID))
		time.Sleep(50 * time.Millisecond)
	}
	require.LessOrEqual(t, pidsCurrent(t, agent.ID), 128)

	// Meanwhile the runtime answers and the other project works.
	st, err := w.rt.State(ctx, other.ID)
	require.NoError(t, err)
	require.True(t, st.Running)
	code, out, errOut := w.run(t, other, "", "sh", "-c", "echo ok > /workspace/alive && cat /workspace/alive")
	require.Zero(t, code, errOut)
	require.Equal(t, "ok\n", out)
	require.LessOrEqual(t, pidsCurrent(t, agent.ID), 128, "still held at the limit")
}
