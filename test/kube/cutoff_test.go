package kube

import (
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

// TestKubeSidecarCutOffFromAPIServer cuts the project's pod off from the API
// server on the node (iptables rules on the node between the pod's address
// and the API server's port, both ways) and edits the policy meanwhile. The sidecar keeps enforcing the policy it had: the allowed name
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
	cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	appliedBefore := cm.Annotations[shared.KubeAppliedAnnotation]
	require.NotEmpty(t, appliedBefore, "the sidecar has not confirmed its first policy")
	// Both ways: the pod's packets to the API server are reset, the API
	// server's to the pod (the open watch's events) are dropped, so nothing
	// comes through the watch that was open when the path went.
	rules := [][]string{
		{"INPUT", "-s", pod.Status.PodIP, "-d", e.nodeIP.String(), "-p", "tcp", "--dport", "6443", "-j", "REJECT", "--reject-with", "tcp-reset"},
		{"OUTPUT", "-s", e.nodeIP.String(), "-d", pod.Status.PodIP, "-p", "tcp", "--sport", "6443", "-j", "DROP"},
	}
	iptables := func(op string) error {
		for _, rule := range rules {
			out, err := exec.Command("iptables", append([]string{"-w", op}, rule...)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("iptables %s %v: %w: %s", op, rule, err, out)
			}
		}
		return nil
	}
	require.NoError(t, iptables("-I"))
	blocked := true
	t.Cleanup(func() {
		if blocked {
			_ = iptables("-D")
		}
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
	// The sidecar's confirmation is the digest it writes on the ConfigMap.
	cm, err = e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
	require.NoError(t, err)
	if cm.Annotations[shared.KubeAppliedAnnotation] != appliedBefore {
		t.Fatalf("the edit is confirmed while the sidecar is cut off: %v", cm.Annotations)
	}
	want := shared.PolicyDigest(cm.Data[shared.KubePolicyKey])

	require.NoError(t, iptables("-D"))
	blocked = false
	e.eventually(t, "the sidecar to confirm the edit once the API server is back", func() bool {
		cm, err := e.cs.CoreV1().ConfigMaps(e.ns).Get(ctx, "warden-"+p.ID, metav1.GetOptions{})
		return err == nil && cm.Annotations[shared.KubeAppliedAnnotation] == want
	})
	if r := e.reach(t, p.ID, "added.test"); !r.OK {
		t.Fatalf("the edit made while cut off is not in force: %+v", r)
	}
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("other.test reached after the edit: %+v", r)
	}
	require.Equal(t, int32(0), e.sidecarRestarts(t, p.ID), "the sidecar restarted")
}
