package kube

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// TestKubeSidecarCutOffFromAPIServer cuts the project's pod off from the API
// server on the node (every connection from the pod's address to the API
// server's port is reset, the open watch first) and edits the policy
// meanwhile. The sidecar keeps enforcing the policy it had: the allowed name
// is reached, the other names are refused, and the edit is neither applied
// nor confirmed. Once the path is back its watch starts again and it
// applies and confirms the edit.
func TestKubeSidecarCutOffFromAPIServer(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)
	ctx := context.Background()
	pod, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, pod.Status.PodIP)
	rule := []string{"INPUT", "-s", pod.Status.PodIP, "-d", e.nodeIP.String(), "-p", "tcp", "--dport", "6443",
		"-j", "REJECT", "--reject-with", "tcp-reset"}
	iptables := func(op string) error {
		out, err := exec.Command("iptables", append([]string{"-w", op}, rule...)...).CombinedOutput()
		if err != nil {
			t.Logf("iptables %s %v: %v: %s", op, rule, err, out)
		}
		return err
	}
	since := metav1.Now()
	require.NoError(t, iptables("-I"))
	blocked := true
	t.Cleanup(func() {
		if blocked {
			_ = iptables("-D")
		}
	})
	e.eventually(t, "the sidecar to lose the API server", func() bool {
		log := e.sidecarLogSince(t, p.ID, since)
		return strings.Contains(log, "connection refused") || strings.Contains(log, "connection reset")
	})

	edited := shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "added.test"}}
	require.NoError(t, e.rt.WritePolicy(p.ID, edited))
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("cut off, the sidecar no longer lets allowed.test through: %+v", r)
	}
	for _, name := range []string{"other.test", "added.test"} {
		if r := e.reach(t, p.ID, name); r.OK {
			t.Fatalf("cut off, %s is reached: %+v", name, r)
		}
	}
	st, err := e.rt.Status(ctx, e.rt.SocketPath(p.ID))
	require.NoError(t, err)
	require.False(t, st.Ready, "the edit is confirmed while the sidecar is cut off: %+v", st)

	require.NoError(t, iptables("-D"))
	blocked = false
	e.eventually(t, "the sidecar to confirm the edit once the API server is back", func() bool {
		st, err := e.rt.Status(ctx, e.rt.SocketPath(p.ID))
		return err == nil && st.Ready
	})
	if r := e.reach(t, p.ID, "added.test"); !r.OK {
		t.Fatalf("the edit made while cut off is not in force: %+v", r)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("other.test reached after the edit: %+v", r)
	}
	require.Equal(t, int32(0), e.sidecarRestarts(t, p.ID), "the sidecar restarted")
}

// sidecarLogSince is the sidecar's log from since on.
func (e *env) sidecarLogSince(t *testing.T, id string, since metav1.Time) string {
	t.Helper()
	b, err := e.cs.CoreV1().Pods(e.ns).GetLogs("warden-"+id, &corev1.PodLogOptions{Container: "sidecar", SinceTime: &since}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("reading the sidecar's log: %v", err)
	}
	return string(b)
}
