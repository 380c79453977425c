package kube

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
	"github.com/warden-sh/warden/shared"
)

func testRuntime(t *testing.T) (*Runtime, *fake.Clientset) {
	t.Helper()
	cs := fake.NewClientset()
	r, err := NewWithClient(Config{
		Namespace: "ns", SidecarImage: "warden-sidecar:t", PodAPIServer: "https://192.0.2.2:6443",
		Upstreams: []string{"192.0.2.53:53"}, HostGateway: netip.MustParseAddr("192.0.2.2"),
		ClosedHostPorts: []int{8090},
	}, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, cs
}

func testProject() project.Project {
	return project.Project{ID: "0123456789ab", Workspace: "/srv/ws", AgentType: "claude-code",
		Image: "warden-agent-test:t", Mode: shared.ModeRestricted, Domains: []string{"example.com"}}
}

// TestPodSpecKeepsTheAgentApart checks what the security of the pod rests
// on: only the sidecar has NET_ADMIN and a token, the agent drops what would
// undo the sidecar's rules, and nothing is pulled.
func TestPodSpecKeepsTheAgentApart(t *testing.T) {
	r, _ := testRuntime(t)
	d, _ := agent.NewRegistry().Lookup("claude-code")
	pod := r.podSpec(testProject(), d, r.podServer, r.apiPort, agentFiles{})

	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		t.Error("the pod automounts a service-account token")
	}
	if len(pod.Spec.InitContainers) != 1 || len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one sidecar and one agent, got %d and %d", len(pod.Spec.InitContainers), len(pod.Spec.Containers))
	}
	sc, ag := pod.Spec.InitContainers[0], pod.Spec.Containers[0]
	if sc.RestartPolicy == nil || *sc.RestartPolicy != corev1.ContainerRestartPolicyAlways {
		t.Error("the sidecar is not a native sidecar (restartPolicy Always)")
	}
	if sc.Lifecycle == nil || sc.Lifecycle.PostStart == nil || sc.Lifecycle.PostStart.Exec == nil {
		t.Error("the sidecar has no postStart hook holding the agent back")
	}
	if got := sc.SecurityContext.Capabilities.Add; !slices.Equal(got, []corev1.Capability{"NET_ADMIN"}) {
		t.Errorf("sidecar adds %v; want NET_ADMIN only", got)
	}
	if got := ag.SecurityContext.Capabilities.Drop; !slices.Equal(got, []corev1.Capability{"NET_ADMIN", "NET_RAW", "MKNOD", "SETFCAP"}) {
		t.Errorf("agent drops %v", got)
	}
	if len(ag.SecurityContext.Capabilities.Add) != 0 {
		t.Errorf("agent adds %v", ag.SecurityContext.Capabilities.Add)
	}
	for _, c := range []corev1.Container{sc, ag} {
		if c.ImagePullPolicy != corev1.PullNever {
			t.Errorf("%s pulls (%s)", c.Name, c.ImagePullPolicy)
		}
	}
	for _, m := range ag.VolumeMounts {
		if m.Name == volumeToken {
			t.Error("the agent mounts the token volume")
		}
	}
	if !slices.Contains(sc.Args, "6443") || !slices.Contains(sc.Args, "8090") {
		t.Errorf("sidecar args %v do not close the API server's and the daemon's ports", sc.Args)
	}
	// The same project gives the same spec hash; another image a new one.
	again := r.podSpec(testProject(), d, r.podServer, r.apiPort, agentFiles{})
	p2 := testProject()
	p2.Image = "other:t"
	other := r.podSpec(p2, d, r.podServer, r.apiPort, agentFiles{})
	if pod.Annotations[annotSpec] != again.Annotations[annotSpec] || pod.Annotations[annotSpec] == other.Annotations[annotSpec] {
		t.Error("the spec hash does not follow the spec")
	}
}

// TestRoleIsLimitedToTheProjectsConfigMap checks the sidecar's Role names
// its one ConfigMap and no verb that creates or deletes.
func TestRoleIsLimitedToTheProjectsConfigMap(t *testing.T) {
	r, cs := testRuntime(t)
	ctx := context.Background()
	if err := r.ensureAccess(ctx, "0123456789ab"); err != nil {
		t.Fatal(err)
	}
	role, err := cs.RbacV1().Roles("ns").Get(ctx, "warden-0123456789ab", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(role.Rules) != 1 {
		t.Fatalf("rules %+v", role.Rules)
	}
	rule := role.Rules[0]
	if !slices.Equal(rule.Resources, []string{"configmaps"}) || !slices.Equal(rule.ResourceNames, []string{"warden-0123456789ab"}) {
		t.Errorf("rule %+v reaches beyond the project's ConfigMap", rule)
	}
	for _, v := range rule.Verbs {
		if v == "create" || v == "delete" || v == "update" || v == "*" {
			t.Errorf("verb %q granted", v)
		}
	}
	// Idempotent; Remove-side deletion tolerates what is gone.
	if err := r.ensureAccess(ctx, "0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if err := r.removeAccess(ctx, "0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if err := r.removeAccess(ctx, "0123456789ab"); err != nil {
		t.Fatal(err)
	}
}

func TestWritePolicyCreatesThenPatches(t *testing.T) {
	r, cs := testRuntime(t)
	ctx := context.Background()
	for _, p := range []shared.Policy{{Mode: shared.ModeNone}, {Mode: shared.ModeFull, Domains: []string{"a.example"}}} {
		if err := r.WritePolicy("0123456789ab", p); err != nil {
			t.Fatal(err)
		}
		cm, err := cs.CoreV1().ConfigMaps("ns").Get(ctx, "warden-0123456789ab", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := policyText(p)
		if cm.Data[shared.KubePolicyKey] != want {
			t.Errorf("ConfigMap holds %q; want %q", cm.Data[shared.KubePolicyKey], want)
		}
	}
	if err := r.WritePolicy("../x", shared.Policy{}); err == nil {
		t.Error("a bad project id was accepted")
	}
}

// A pvc: workspace is the claim's volume; a folder is a hostPath on the
// node. Start refuses a claim that does not exist, naming it, before it
// makes anything.
func TestClaimWorkspace(t *testing.T) {
	r, cs := testRuntime(t)
	p := testProject()
	p.Workspace = "pvc:web-ws"
	pod := r.podSpec(p, mustAgent(t, r, p.AgentType), r.podServer, r.apiPort, agentFiles{})
	var ws *corev1.Volume
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].Name == volumeWorkspace {
			ws = &pod.Spec.Volumes[i]
		}
	}
	if ws == nil || ws.PersistentVolumeClaim == nil || ws.PersistentVolumeClaim.ClaimName != "web-ws" || ws.HostPath != nil {
		t.Fatalf("workspace volume %+v; want the claim web-ws", ws)
	}

	err := r.Start(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "PersistentVolumeClaim ns/web-ws does not exist") {
		t.Fatalf("Start on a missing claim: %v", err)
	}
	if cms, _ := cs.CoreV1().ConfigMaps("ns").List(context.Background(), metav1.ListOptions{}); len(cms.Items) != 0 {
		t.Errorf("Start made %d ConfigMaps for a project it refused", len(cms.Items))
	}
}

func mustAgent(t *testing.T, r *Runtime, name string) agent.Definition {
	t.Helper()
	d, ok := r.cfg.Agents.Lookup(name)
	if !ok {
		t.Fatalf("no agent type %s", name)
	}
	return d
}

// The parts of a repository that git runs are read-only subpaths of the
// workspace in the agent, and .git a mount point of its own; a config
// folder is a subpath of the project's home on the node.
func TestPodSpecMountsGitPartsReadOnly(t *testing.T) {
	r, _ := testRuntime(t)
	p := testProject()
	pod := r.podSpec(p, mustAgent(t, r, p.AgentType), r.podServer, r.apiPort, agentFiles{
		git:  []runtime.GitMount{{Rel: ".git"}, {Rel: ".git/config", ReadOnly: true}, {Rel: ".git/hooks", ReadOnly: true}},
		home: "/var/lib/warden/homes/" + p.ID, folders: []string{"/home/agent/.claude"},
	})
	var got []string
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		got = append(got, fmt.Sprintf("%s %s %q ro=%v", m.Name, m.MountPath, m.SubPath, m.ReadOnly))
	}
	want := []string{
		`workspace /workspace "" ro=false`,
		`workspace /workspace/.git ".git" ro=false`,
		`workspace /workspace/.git/config ".git/config" ro=true`,
		`workspace /workspace/.git/hooks ".git/hooks" ro=true`,
		`agent-home /home/agent/.claude "home/agent/.claude" ro=false`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("agent mounts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	home := pod.Spec.Volumes[len(pod.Spec.Volumes)-1]
	if home.Name != volumeHome || home.HostPath == nil || home.HostPath.Path != "/var/lib/warden/homes/"+p.ID {
		t.Errorf("home volume %+v", home)
	}
}
