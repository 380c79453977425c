package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/warden-sh/warden/shared"
)

const tokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// TestKubeAgentCannotReachItsPolicy is the agent trying to change its own
// policy through the API server. First the attack with the defences off: a
// pod of the same image holding the project's service-account token, with
// no sidecar, reads the project's ConfigMap (and only that one: the Role is
// limited to it by name). Then the real project pod: the agent has no token
// at all, its root cannot borrow the sidecar's firewall mark, and the API
// server's port is closed to it even in full mode, while the sidecar in the
// same network namespace keeps its watch and confirms a new policy.
func TestKubeAgentCannotReachItsPolicy(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeFull)
	e.start(t, p)
	api := fmt.Sprintf("https://%s/api/v1/namespaces/%s/configmaps/", e.nodeIP.String()+":6443", e.ns)

	// Defences off: the token mounted, no sidecar in front.
	attacker := e.attackerPod(t, "warden-"+p.ID)
	r := e.probeIn(t, attacker, "http", api+"warden-"+p.ID, "-bearer", tokenPath)
	if !r.OK || r.Status != 200 || !strings.Contains(r.Reply, shared.KubePolicyKey) {
		t.Fatalf("with the token, the ConfigMap was not read (the attack should work here): %+v", r)
	}
	if r := e.probeIn(t, attacker, "http", api+"kube-root-ca.crt", "-bearer", tokenPath); r.Status != 403 {
		t.Fatalf("the project's token read another ConfigMap: %+v; want 403", r)
	}

	// Defences on: the agent of the project's pod.
	if r := e.probe(t, p.ID, "agent", "http", api+"warden-"+p.ID, "-bearer", tokenPath); r.OK || !strings.Contains(r.Error, "no such file") {
		t.Fatalf("the agent has a token to use: %+v", r)
	}
	if out := e.exec(t, p.ID, "agent", "sh", "-c", "ls /var/run/secrets 2>&1; env | grep -ci token || true"); !strings.Contains(out, "No such file") {
		t.Fatalf("the agent sees secrets: %q", out)
	}
	if r := e.probe(t, p.ID, "agent", "tcp", e.nodeIP.String()+":6443"); r.OK {
		t.Fatalf("the agent reached the API server's port in full mode: %+v", r)
	}
	if r := e.probe(t, p.ID, "agent", "http", api+"warden-"+p.ID); r.OK {
		t.Fatalf("the agent reached the API server anonymously: %+v", r)
	}
	if r := e.probe(t, p.ID, "agent", "mark"); r.OK {
		t.Fatalf("the agent set the sidecar's firewall mark: %+v", r)
	}
	// The agent reaches the fake internet (full mode): the refusals above
	// are the API server's port, not a dead network.
	if r := e.reach(t, p.ID, "other.test"); !r.OK {
		t.Fatalf("full mode does not reach the fake internet: %+v", r)
	}
	// The sidecar's own link still works.
	e.put(t, p.ID, shared.Policy{Mode: shared.ModeNone, Domains: []string{}})
	if r := e.reach(t, p.ID, "other.test"); r.OK {
		t.Fatalf("mode none applied but other.test reached: %+v", r)
	}
}

// attackerPod runs the test agent image with serviceAccount's token mounted
// and nothing in front of it, and returns its name once it runs.
func (e *env) attackerPod(t *testing.T, serviceAccount string) string {
	t.Helper()
	ctx := context.Background()
	yes := true
	grace := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "attacker", Namespace: e.ns},
		Spec: corev1.PodSpec{
			NodeName:                      nodeName,
			ServiceAccountName:            serviceAccount,
			AutomountServiceAccountToken:  &yes,
			TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{
				Name: "agent", Image: "warden-agent-test:" + imageTag, ImagePullPolicy: corev1.PullNever,
			}},
		},
	}
	if _, err := e.cs.CoreV1().Pods(e.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually(t, "the attacker pod to run", func() bool {
		got, err := e.cs.CoreV1().Pods(e.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && got.Status.Phase == corev1.PodRunning
	})
	return pod.Name
}

func (e *env) probeIn(t *testing.T, pod string, args ...string) probeResult {
	t.Helper()
	out := e.execPod(t, pod, "agent", append([]string{"probe"}, args...)...)
	var r probeResult
	if err := jsonUnmarshal(out, &r); err != nil {
		t.Fatalf("probe %v printed %q: %v", args, out, err)
	}
	return r
}
