package runtime

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"

	"github.com/warden-sh/warden/host/agent"
	"github.com/warden-sh/warden/host/project"
)

// keepAlive is the agent's command when its image brings none of its own:
// the agent is driven through exec, so the container only has to stay up.
var keepAlive = []string{"sleep", "infinity"}

// agentStopTimeout is how long a stopping agent gets before SIGKILL; its
// init process passes SIGTERM on, so this is rarely reached.
const agentStopTimeout = 5

// agentImage is the project's image, or its agent type's default.
func agentImage(p project.Project, t agent.Definition) string {
	if p.Image != "" {
		return p.Image
	}
	return t.Image
}

// agentCapDrop are the capabilities the agent's root loses. NET_ADMIN and
// NET_RAW would undo the sidecar's rules. MKNOD and SETFCAP would make device
// nodes and capability files; the id-mapped mounts already stop both in
// the workspace, and dropping them keeps them out of every other folder too.
// CHOWN, DAC_OVERRIDE, FOWNER and the like stay: apt and dpkg need them, and
// they reach nothing on the host through an id-mapped mount.
var agentCapDrop = []string{"NET_ADMIN", "NET_RAW", "MKNOD", "SETFCAP"}

// agentSpec is the agent container of a project: in the sidecar's network
// namespace, agentCapDrop dropped, the id-mapped workspace at /workspace and
// the agent type's config folders, nothing else from the host. The agent
// type adds its environment (the project's own wins) and health check. It
// has no restart policy: only Start runs it, after its sidecar is ready.
func agentSpec(instance string, a preparedAgent, sidecarID string) containerSpec {
	p := a.p
	env := maps.Clone(a.agentType.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, p.Env)
	cfg := &container.Config{
		Image:       a.ref,
		Env:         envList(env),
		WorkingDir:  agentWorkdir,
		Healthcheck: healthConfig(a.agentType.HealthCheck),
		// The binds name the views, not the workspace: these labels make a
		// change of workspace or of its owner a change of spec.
		Labels: map[string]string{
			LabelAgentCommand: commandLabel(a.agentType.Command),
			LabelWorkspace:    filepath.Clean(p.Workspace),
			labelIDMap:        a.ids.String(),
		},
	}
	if needsKeepAlive(a.image) {
		cfg.Cmd = keepAlive
	}
	init := true
	return containerSpec{
		Name:    agentName(p.ID),
		ImageID: a.image.ID,
		Config:  cfg,
		Host: &container.HostConfig{
			NetworkMode: container.NetworkMode("container:" + sidecarID),
			CapDrop:     agentCapDrop,
			Init:        &init,
			Mounts:      a.mounts,
			Resources:   resources(p.Limits.Effective()),
		},
	}.sealed(labels(instance, p.ID, RoleAgent))
}

// resources are the project's limits as the engine applies them. Memory and
// swap together get the one limit, so a leak cannot spill into swap.
func resources(l project.Limits) container.Resources {
	pids := l.PIDs
	mem := l.MemoryMB << 20
	return container.Resources{
		PidsLimit:  &pids,
		Memory:     mem,
		MemorySwap: mem,
		NanoCPUs:   int64(l.CPUs * 1e9),
	}
}

// needsKeepAlive reports whether the image would exit at once without a
// terminal: no entrypoint, and no command or only a bare shell (Debian's
// and Ubuntu's images say "bash").
func needsKeepAlive(img image.InspectResponse) bool {
	if img.Config == nil {
		return true
	}
	if len(img.Config.Entrypoint) > 0 {
		return false
	}
	switch cmd := img.Config.Cmd; {
	case len(cmd) == 0:
		return true
	case len(cmd) == 1:
		switch filepath.Base(cmd[0]) {
		case "sh", "bash", "dash", "zsh", "ash":
			return true
		}
	}
	return false
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// preparedAgent is what the agent container is made from, checked before
// the sidecar starts.
type preparedAgent struct {
	p         project.Project
	agentType agent.Definition
	ref       string
	image     image.InspectResponse
	mounts    []mount.Mount // the workspace, .git's read-only parts, the config folders
	ids       idMap         // how the views map the agent's ids
	workspace string        // the resolved workspace, as checked
}

// prepareAgent resolves the agent type and image, checks the workspace,
// makes sure the config folders exist on the host and mounts the id-mapped
// views the agent binds.
func (r *Runtime) prepareAgent(ctx context.Context, p project.Project) (preparedAgent, error) {
	t, err := r.agentType(p)
	if err != nil {
		return preparedAgent{}, err
	}
	ref := agentImage(p, t)
	workspace, err := r.checkWorkspace(ctx, p)
	if err != nil {
		return preparedAgent{}, err
	}
	img, err := r.inspectImage(ctx, ref, "agent")
	if err != nil {
		return preparedAgent{}, err
	}
	a := preparedAgent{p: p, agentType: t, ref: ref, image: img, workspace: workspace}
	if err := r.prepareMounts(ctx, &a, img, t.ConfigFolders); err != nil {
		return preparedAgent{}, err
	}
	return a, nil
}

// createAgent makes sure the agent container exists with the current spec
// for the sidecar's namespace, without starting it.
func (r *Runtime) createAgent(ctx context.Context, a preparedAgent, sidecar container.InspectResponse) (container.InspectResponse, error) {
	return r.ensureContainer(ctx, agentSpec(r.instance, a, sidecar.ID))
}

// runAgent brings the agent c to running inside the namespace of sidecar,
// which must be running and ready.
func (r *Runtime) runAgent(ctx context.Context, a preparedAgent, c, sidecar container.InspectResponse) error {
	name := agentName(a.p.ID)
	switch {
	case !isRunning(c):
		if err := r.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return fmt.Errorf("starting agent %s: %w", name, err)
		}
	case staleNamespace(c, sidecar):
		r.log.Info("agent is in an older namespace than its sidecar; restarting it", "project", a.p.ID)
		timeout := agentStopTimeout
		if err := r.docker.ContainerRestart(ctx, c.ID, container.StopOptions{Timeout: &timeout}); err != nil {
			return fmt.Errorf("restarting agent %s into its sidecar's namespace: %w", name, err)
		}
	}
	return nil
}

// staleNamespace reports whether a running agent joined its sidecar's
// namespace before the sidecar's latest start, or joined another sidecar:
// the namespace it is in then has no sidecar guarding it.
func staleNamespace(agent, sidecar container.InspectResponse) bool {
	if agent.ContainerJSONBase == nil || sidecar.ContainerJSONBase == nil || agent.HostConfig == nil ||
		string(agent.HostConfig.NetworkMode) != "container:"+sidecar.ID {
		return true
	}
	return startedAt(agent).Before(startedAt(sidecar))
}

func startedAt(c container.InspectResponse) time.Time {
	st := stateOfContainer(c)
	if st == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, st.StartedAt)
	if err != nil {
		return time.Time{}
	}
	return t
}
