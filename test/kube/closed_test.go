package kube

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestKubeSidecarWithoutPolicyStaysClosed takes a full-mode project's
// policy away: the running sidecar closes the namespace, and a sidecar
// restarted while there is no policy starts closed and stays so. Writing a
// policy again opens it, which shows the refusals were the policy's.
func TestKubeSidecarWithoutPolicyStaysClosed(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeFull)
	e.start(t, p)
	if r := e.reach(t, p.ID, "other.test"); !r.OK {
		t.Fatalf("full mode does not reach the fake internet: %+v", r)
	}
	ctx := context.Background()
	if err := e.cs.CoreV1().ConfigMaps(e.ns).Delete(ctx, "warden-"+p.ID, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the sidecar to close after its policy was deleted", func() bool {
		return !e.reach(t, p.ID, "other.test").OK
	})

	// The sidecar restarts (its process ends; the kubelet starts it again)
	// with no policy to read.
	before := e.sidecarRestarts(t, p.ID)
	e.exec(t, p.ID, "sidecar", "sh", "-c", "kill 1")
	e.eventually(t, "the sidecar to run again", func() bool {
		st, err := e.rt.State(ctx, p.ID)
		return err == nil && e.sidecarRestarts(t, p.ID) > before && st.Sidecar.Status == "running"
	})
	for range 3 {
		if r := e.reach(t, p.ID, "other.test"); r.OK {
			t.Fatalf("a sidecar started without a policy let the agent out: %+v", r)
		}
	}
	if err := e.rt.WritePolicy(p.ID, shared.Policy{Mode: shared.ModeFull, Domains: []string{}}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the written policy to open the namespace", func() bool {
		return e.reach(t, p.ID, "other.test").OK
	})
}

func (e *env) sidecarRestarts(t *testing.T, id string) int32 {
	t.Helper()
	pod, err := e.cs.CoreV1().Pods(e.ns).Get(context.Background(), "warden-"+id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range pod.Status.InitContainerStatuses {
		if cs.Name == "sidecar" {
			return cs.RestartCount
		}
	}
	return 0
}

// eventually polls cond until it holds, for at most a minute.
func (e *env) eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 200*time.Millisecond, "waiting for %s", what)
}
