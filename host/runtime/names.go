package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/docker/docker/api/types/filters"

	"github.com/warden-sh/warden/host/project"
)

// Labels on every container the runtime creates.
const (
	// LabelProject holds the project id.
	LabelProject = "warden.project"
	// LabelRole is RoleSidecar or RoleAgent.
	LabelRole = "warden.role"
	// LabelInstance tells apart the containers of daemons with different
	// data folders on one engine, so one never adopts or removes another's.
	LabelInstance = "warden.instance"
	// LabelAgentCommand holds, on an agent container, the agent type's
	// command as a JSON array: what Exec runs when given no command.
	LabelAgentCommand = "warden.agent.command"
	// LabelWorkspace holds, on an agent container, the workspace's host
	// path.
	LabelWorkspace = "warden.workspace"
	// labelIDMap holds, on an agent container, the id mapping of its
	// views (idMap.String).
	labelIDMap = "warden.idmap"
	// labelSpec holds a hash of the spec the container was created from, so
	// Start can tell a container that no longer matches its project.
	labelSpec = "warden.spec"
)

// Container roles, the values of LabelRole.
const (
	RoleSidecar = "sidecar"
	RoleAgent   = "agent"
)

// In the sidecar, where the project's socket folder is bound.
const (
	sidecarRunDir     = "/run/warden"
	sidecarSocketPath = sidecarRunDir + "/control.sock"
	sidecarPolicyPath = sidecarRunDir + "/policy.json"
	controlSocketName = "control.sock"
	policyFileName    = "policy.json"
)

// agentWorkdir is where the workspace is bound in the agent.
const agentWorkdir = "/workspace"

// checkID refuses anything but a project id, which ends up in paths and
// container names.
func checkID(id string) error {
	if !project.ValidID(id) {
		return fmt.Errorf("bad project id %q; expect 12 lower-case hex characters such as a1b2c3d4e5f6", id)
	}
	return nil
}

func sidecarName(id string) string { return "warden-" + id + "-sidecar" }
func agentName(id string) string   { return "warden-" + id + "-agent" }

// labels returns the labels of a project's container in one role for one
// daemon instance, given the hash of the spec it is created from.
func labels(instance, id, role string) func(spec string) map[string]string {
	return func(spec string) map[string]string {
		return map[string]string{LabelProject: id, LabelRole: role, LabelInstance: instance, labelSpec: spec}
	}
}

// instanceOf names a daemon by its socket folder, which lives in its data
// folder: stable across restarts, different for every data folder.
func instanceOf(socketRoot string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(socketRoot)))
	return hex.EncodeToString(sum[:6])
}

// ownFilter matches the containers of this daemon only.
func (r *Runtime) ownFilter() filters.KeyValuePair {
	return filters.Arg("label", LabelInstance+"="+r.instance)
}
