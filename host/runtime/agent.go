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

// agentSpec is the agent container of a project: in the sidecar's network
// namespace, NET_ADMIN and NET_RAW dropped, the workspace at /workspace and
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
		Labels:      map[string]string{LabelAgentCommand: commandLabel(a.agentType.Command)},
	}
	if needsKeepAlive(a.image) {
		cfg.Cmd = keepAlive
	}
	mounts := []mount.Mount{{
		Type:   mount.TypeBind,
		Source: a.workspace,
		Target: agentWorkdir,
	}}
	mounts = append(mounts, a.folders...)
	init := true
	return containerSpec{
		Name:    agentName(p.ID),
		ImageID: a.image.ID,
		Config:  cfg,
		Host: &container.HostConfig{
			NetworkMode: container.NetworkMode("container:" + sidecarID),
			CapDrop:     []string{"NET_ADMIN", "NET_RAW"},
			Init:        &init,
			Mounts:      mounts,
		},
	}.sealed(labels(instance, p.ID, RoleAgent))
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
	folders   []mount.Mount // the agent type's config folders
	workspace string        // the resolved workspace, as checked
}

// prepareAgent resolves the agent type and image, checks the workspace and
// makes sure the config folders exist on the host.
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
	folders, err := r.configMounts(p.ID, t.ConfigFolders)
	if err != nil {
		return preparedAgent{}, err
	}
	return preparedAgent{p: p, agentType: t, ref: ref, image: img, folders: folders, workspace: workspace}, nil
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
