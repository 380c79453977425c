package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// probeLoop is a shell script for the agent: each of its loops tries one
// action again and again until /tmp/loop-stop exists (or max attempts, when
// max is not 0) and prints "LEAK <probe output>" for every success, then one
// line "<name> attempts=N leaks=M". /tmp/loop-started appears once every
// loop has made its first attempt.
func probeLoop(max int, probes map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `rm -f /tmp/loop-stop /tmp/loop-started /tmp/loop-first.*
loop() {
  name=$1; shift; n=0; l=0
  while [ ! -e /tmp/loop-stop ] && { [ %d -eq 0 ] || [ $n -lt %d ]; }; do
    r=$("$@" 2>&1); n=$((n+1)); touch /tmp/loop-first.$name
    case "$r" in *'"ok":true'*) l=$((l+1)); echo "LEAK $name $r";; esac
  done
  echo "$name attempts=$n leaks=$l"
}
`, max, max)
	for name, cmd := range probes {
		fmt.Fprintf(&b, "loop %s %s &\n", name, cmd)
	}
	fmt.Fprintf(&b, "while [ $(ls /tmp/loop-first.* 2>/dev/null | wc -l) -lt %d ]; do sleep 0.01; done; touch /tmp/loop-started\nwait\n", len(probes))
	return b.String()
}

var loopLine = regexp.MustCompile(`(?m)^(\S+) attempts=(\d+) leaks=(\d+)$`)

// loopCounts reads probeLoop's summary lines: attempts and leaks by loop.
func loopCounts(t *testing.T, out string, loops int) (attempts, leaks map[string]int) {
	t.Helper()
	attempts, leaks = map[string]int{}, map[string]int{}
	for _, m := range loopLine.FindAllStringSubmatch(out, -1) {
		attempts[m[1]], _ = strconv.Atoi(m[2])
		leaks[m[1]], _ = strconv.Atoi(m[3])
	}
	require.Len(t, attempts, loops, "the probe loop's output: %s", out)
	return attempts, leaks
}

// TestKubeSidecarKilledNoOpenWindow runs loops in the agent that try
// refused destinations every few milliseconds (an address no allowed name
// gave, another name on an allowed address, a refused name through the
// pod's resolver and the upstream resolver directly) while the sidecar's
// process is killed, twice: with SIGKILL from the node, and with SIGTERM
// from inside its container. The kubelet restarts it under the same policy;
// no attempt succeeds during the whole window, and the allowed name works
// again after. The same loops against allowed destinations first show that
// a success would be seen.
func TestKubeSidecarKilledNoOpenWindow(t *testing.T) {
	getExtras(t)
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("allowed.test not reached: %+v", r)
	}
	gw := podGateway + ":" + namesPlain

	t.Run("the loop sees a success", func(t *testing.T) {
		out := e.exec(t, p.ID, "agent", "sh", "-c", probeLoop(3, map[string]string{
			"tcp":     "probe tcp " + podGateway + ":7 -send hi",
			"named":   "probe http http://" + gw + "/ -host allowed.test",
			"resolve": "probe resolve allowed.test",
		}))
		_, leaks := loopCounts(t, out, 3)
		require.Equal(t, map[string]int{"tcp": 3, "named": 3, "resolve": 3}, leaks, out)
	})

	refused := map[string]string{
		"tcp":      "probe tcp " + soloAddr + ":7 -send hi -timeout 300ms",
		"named":    "probe http http://" + gw + "/ -host other.test -timeout 300ms",
		"resolve":  "probe resolve other.test -timeout 300ms",
		"upstream": "probe resolve other.test -server " + podGateway + ":" + fakeDNSPort + " -timeout 300ms",
	}
	loop := e.background(t, p.ID, "agent", "sh", "-c", probeLoop(0, refused))
	e.eventually(t, "the probe loop to start", func() bool {
		_, ok := e.execSh(t, p.ID, "agent", "test -e /tmp/loop-started")
		return ok
	})

	pod, err := e.cs.CoreV1().Pods(e.ns).Get(context.Background(), "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	for _, how := range []string{"SIGKILL from the node", "SIGTERM inside its container"} {
		before := e.sidecarRestarts(t, p.ID)
		if how == "SIGKILL from the node" {
			pid := sidecarPID(t, string(pod.UID))
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
		} else {
			e.exec(t, p.ID, "sidecar", "sh", "-c", "kill 1")
		}
		e.eventually(t, "the sidecar to be restarted after "+how, func() bool {
			return e.sidecarRestarts(t, p.ID) > before && e.sidecarStarted(t, p.ID)
		})
		t.Logf("%s: the sidecar restarted (restart count %d)", how, e.sidecarRestarts(t, p.ID))
		e.eventually(t, "allowed.test to be reached again after "+how, func() bool {
			return e.reach(t, p.ID, "allowed.test").OK
		})
	}

	e.exec(t, p.ID, "agent", "touch", "/tmp/loop-stop")
	var out string
	select {
	case out = <-loop:
	case <-time.After(30 * time.Second):
		t.Fatal("the probe loop did not stop")
	}
	attempts, leaks := loopCounts(t, out, len(refused))
	t.Logf("attempts during the kills: %v", attempts)
	for name, n := range attempts {
		require.Greater(t, n, 2, "the %s loop barely ran", name)
		require.Zero(t, leaks[name], "the %s loop got through while the sidecar was down: %s", name, out)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("other.test reached after the restarts: %+v", r)
	}
}

// sidecarStarted says whether the pod's sidecar passed its startup probe
// (its whole policy is in place).
func (e *env) sidecarStarted(t *testing.T, id string) bool {
	t.Helper()
	pod, err := e.cs.CoreV1().Pods(e.ns).Get(context.Background(), "warden-"+id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == "sidecar" {
			return cs.State.Running != nil && cs.Started != nil && *cs.Started
		}
	}
	return false
}

// sidecarPID finds, on the node, the sidecar process of the pod with uid.
func sidecarPID(t *testing.T, uid string) int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	require.NoError(t, err)
	var found []int
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || !strings.HasPrefix(string(comm), "warden-sidecar") {
			continue
		}
		cg, err := os.ReadFile(d + "/cgroup")
		if err != nil || !(strings.Contains(string(cg), uid) || strings.Contains(string(cg), strings.ReplaceAll(uid, "-", "_"))) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		found = append(found, pid)
	}
	require.Len(t, found, 1, "the sidecar process of pod %s on the node", uid)
	return found[0]
}
