package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/warden-sh/warden/host/agent"
)

// TestPodSpecAgentRules checks the rules the agent runs under beyond its
// capabilities: the runtime's seccomp profile for the whole pod, and no
// privilege raised through a setuid binary.
func TestPodSpecAgentRules(t *testing.T) {
	r, _ := testRuntime(t)
	d, _ := agent.NewRegistry().Lookup("claude-code")
	pod := r.podSpec(testProject(), d, r.podServer, r.apiPort, agentFiles{})
	sc := pod.Spec.SecurityContext
	if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v; want seccomp RuntimeDefault", sc)
	}
	ag := pod.Spec.Containers[0].SecurityContext
	if ag.AllowPrivilegeEscalation == nil || *ag.AllowPrivilegeEscalation {
		t.Error("the agent may raise its privileges through setuid binaries")
	}
	if ag.Privileged != nil && *ag.Privileged {
		t.Error("the agent is privileged")
	}
}
