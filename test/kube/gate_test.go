package kube

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/host/kube"
	"github.com/warden-sh/warden/shared"
)

// TestKubeAgentWaitsForThePolicy holds a pod's agent back while its sidecar
// has no policy in place. The project's ConfigMap holds a policy the
// sidecar refuses before the pod starts (a start keeps a stored policy);
// once the sidecar has said so, the agent has not started. The same pod
// without Warden's start gate (the sidecar's postStart hook) runs its agent
// under the same refused policy, which shows the gate is what holds it.
// A good policy written then lets the start finish.
func TestKubeAgentWaitsForThePolicy(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	name := "warden-" + p.ID
	cms := e.cs.CoreV1().ConfigMaps(e.ns)
	if _, err := cms.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{kube.LabelProject: p.ID, kube.LabelInstance: e.rt.Config().Instance}},
		Data:       map[string]string{shared.KubePolicyKey: "not a policy"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	started := make(chan error, 1)
	go func() { started <- e.rt.Start(ctx, p) }()
	t.Cleanup(func() { _ = e.rt.Remove(context.Background(), p.ID) })

	refused := func() bool {
		cm, err := cms.Get(ctx, name, metav1.GetOptions{})
		return err == nil && cm.Annotations[shared.KubeResultAnnotation] != ""
	}
	e.eventually(t, "the sidecar to refuse the stored policy", refused)
	if st := e.agentState(t, name); st.Running != nil || st.Terminated != nil {
		t.Fatalf("the agent started while its sidecar had no policy in place: %+v", st)
	}

	// Gate off: the same pod with the sidecar's postStart hook taken away.
	pods := e.cs.CoreV1().Pods(e.ns)
	pod, err := pods.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ungated := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ungated-" + p.ID}, Spec: *pod.Spec.DeepCopy()}
	ungated.Spec.InitContainers[0].Lifecycle = nil
	if _, err := pods.Create(ctx, ungated, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the ungated pod's agent to run under the refused policy", func() bool {
		return e.agentState(t, ungated.Name).Running != nil
	})
	if st := e.agentState(t, name); st.Running != nil || st.Terminated != nil {
		t.Fatalf("the gated agent started while its sidecar had no policy in place: %+v", st)
	}

	if err := e.rt.WritePolicy(p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test"}}); err != nil {
		t.Fatal(err)
	}
	if err := <-started; err != nil {
		t.Fatalf("the start did not finish once the policy was good: %v\n%s", err, e.describe(p.ID))
	}
	if r := e.reach(t, p.ID, "allowed.test"); !r.OK {
		t.Fatalf("allowed.test not reached once started: %+v", r)
	}
}

// agentState is the agent container's state in pod name (zero before the
// kubelet reports it).
func (e *env) agentState(t *testing.T, name string) corev1.ContainerState {
	t.Helper()
	pod, err := e.cs.CoreV1().Pods(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == "agent" {
			return cs.State
		}
	}
	return corev1.ContainerState{}
}
