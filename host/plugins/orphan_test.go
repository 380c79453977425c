package plugins

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/agent"
)

// childEnv makes the test binary a stand-in daemon: it loads the plugins of
// the folder named, prints their pids and waits to be killed.
const childEnv = "WARDEN_PLUGINS_TEST_DAEMON"

func runChild(dir string) {
	m, err := Start(Config{Dir: dir}, agent.NewRegistry(), nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for _, st := range m.Status() {
		fmt.Println("pid", st.PID)
	}
	fmt.Println("ready")
	select {}
}

// TestPluginDiesWithKilledDaemon: a daemon killed with SIGKILL runs no
// Close; its plugins must not live on as orphans.
func TestPluginDiesWithKilledDaemon(t *testing.T) {
	dir := pluginsDir(t, true, "ok")
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var pids []int
	sc := bufio.NewScanner(out)
	for sc.Scan() && sc.Text() != "ready" {
		if v, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
			pid, err := strconv.Atoi(v)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
	}
	require.Len(t, pids, 2)
	for _, pid := range pids {
		require.True(t, alive(pid))
	}

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Eventually(t, func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "plugins outlived their daemon")
}
