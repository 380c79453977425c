package runtime

import (
	"context"
	"fmt"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"
)

// StatusMissing is the Status of a container that does not exist.
const StatusMissing = "missing"

// State is the API's wire type (host/api/wire).
type State = wire.State

// ContainerState is the API's wire type (host/api/wire).
type ContainerState = wire.ContainerState

// State inspects the project's containers.
func (r *Runtime) State(ctx context.Context, projectID string) (State, error) {
	if err := checkID(projectID); err != nil {
		return State{}, err
	}
	sidecar, err := r.inspectOptional(ctx, sidecarName(projectID))
	if err != nil {
		return State{}, err
	}
	agent, err := r.inspectOptional(ctx, agentName(projectID))
	if err != nil {
		return State{}, err
	}
	return stateOf(sidecar, agent, r.cfg.Network), nil
}

// inspectOptional returns nil for a container that does not exist.
func (r *Runtime) inspectOptional(ctx context.Context, name string) (*container.InspectResponse, error) {
	c, err := r.docker.ContainerInspect(ctx, name)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting container %s: %w", name, err)
	}
	return &c, nil
}

// stateOf merges the two containers (nil when missing) into a State.
func stateOf(sidecar, agent *container.InspectResponse, networkName string) State {
	var s State
	s.Sidecar = containerState(sidecar)
	s.Agent = containerState(agent)
	if sidecar != nil {
		s.Sidecar.IP = ipOn(*sidecar, networkName)
		s.Agent.IP = s.Sidecar.IP
	}
	sidecarUp := sidecar != nil && isRunning(*sidecar)
	agentUp := agent != nil && isRunning(*agent)
	stale := sidecarUp && agentUp && staleNamespace(*agent, *sidecar)
	s.Running = sidecarUp && agentUp && !stale
	switch {
	case stale:
		s.Error = "the agent is in an older network namespace than its sidecar (the sidecar restarted after it); start the project again"
	case sidecar != nil && failed(*sidecar):
		s.Error = "sidecar " + exitSummary(*sidecar)
	case agent != nil && failed(*agent):
		s.Error = "agent " + exitSummary(*agent)
	case agentUp && !sidecarUp:
		s.Error = "the agent runs without its sidecar; start the project again"
	}
	return s
}

func containerState(c *container.InspectResponse) ContainerState {
	if c == nil || c.ContainerJSONBase == nil {
		return ContainerState{Status: StatusMissing}
	}
	cs := ContainerState{ID: c.ID, StartedAt: startedAt(*c)}
	if st := stateOfContainer(*c); st != nil {
		cs.Status = string(st.Status)
		if st.Health != nil && st.Running {
			cs.Health = string(st.Health.Status)
		}
	}
	return cs
}

// exitStopped is the exit code of a process ended by SIGTERM (128+15), the
// signal docker stop sends; it is how a stopped agent ends.
const exitStopped = 143

// failed reports a container that stopped with an error.
func failed(c container.InspectResponse) bool {
	st := stateOfContainer(c)
	if st == nil || st.Running {
		return false
	}
	return (st.ExitCode != 0 && st.ExitCode != exitStopped) || st.Error != "" || st.OOMKilled
}

func ipOn(c container.InspectResponse, networkName string) string {
	if c.NetworkSettings == nil {
		return ""
	}
	if ep, ok := c.NetworkSettings.Networks[networkName]; ok && ep != nil {
		return ep.IPAddress
	}
	for _, ep := range c.NetworkSettings.Networks {
		if ep != nil && ep.IPAddress != "" {
			return ep.IPAddress
		}
	}
	return ""
}
