package kube

import (
	"fmt"

	"github.com/warden-sh/warden/host/project"
)

// Labels and annotations on the objects the runtime creates.
const (
	LabelProject  = "warden.sh/project"
	LabelInstance = "warden.sh/instance"
	annotSpec     = "warden.sh/spec"
)

// Container names in a project's pod.
const (
	containerSidecar = "sidecar"
	containerAgent   = "agent"
)

// In the pod.
const (
	agentWorkdir    = "/workspace"
	tokenMountPath  = "/var/run/secrets/kubernetes.io/serviceaccount"
	sidecarRunDir   = "/run/warden"
	sidecarReady    = sidecarRunDir + "/ready"
	volumeWorkspace = "workspace"
	volumeToken     = "sidecar-api-access"
	volumeSidecar   = "sidecar-run"
	volumeHome      = "agent-home"
)

// objectName names every object of a project: pod, ConfigMap, service
// account, Role and RoleBinding.
func objectName(id string) string { return "warden-" + id }

func checkID(id string) error {
	if !project.ValidID(id) {
		return fmt.Errorf("bad project id %q; expect 12 lower-case hex characters such as a1b2c3d4e5f6", id)
	}
	return nil
}
