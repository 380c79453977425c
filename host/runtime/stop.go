package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"
)

// sidecarStopTimeout is how long a stopping sidecar gets to close its
// streams and remove its rules before SIGKILL.
const sidecarStopTimeout = 10

// Stop stops the agent, then the sidecar, so the agent never runs
// unguarded. Containers already stopped or gone are not an error. A stopped
// sidecar stays stopped across engine restarts (unless-stopped).
func (r *Runtime) Stop(ctx context.Context, projectID string) error {
	if err := checkID(projectID); err != nil {
		return err
	}
	defer r.locks.Lock(projectID)()
	agentTimeout, sidecarTimeout := agentStopTimeout, sidecarStopTimeout
	if err := r.stopContainer(ctx, agentName(projectID), agentTimeout); err != nil {
		return err
	}
	return r.stopContainer(ctx, sidecarName(projectID), sidecarTimeout)
}

func (r *Runtime) stopContainer(ctx context.Context, name string, timeout int) error {
	err := r.docker.ContainerStop(ctx, name, container.StopOptions{Timeout: &timeout})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("stopping container %s: %w", name, err)
	}
	return nil
}

// Remove removes the project's containers and then its socket folder
// (control socket and policy file) and its agent's config folders; the
// folders stay while a container could not be removed, so a retry can still
// reach that sidecar. What is already gone is not an error.
func (r *Runtime) Remove(ctx context.Context, projectID string) error {
	if err := checkID(projectID); err != nil {
		return err
	}
	defer r.locks.Lock(projectID)()
	errA := r.removeContainer(ctx, agentName(projectID))
	errS := r.removeContainer(ctx, sidecarName(projectID))
	if err := errors.Join(errA, errS); err != nil {
		return err
	}
	if err := r.removeMounts(projectID); err != nil {
		return fmt.Errorf("removing the mounts of project %s: %w", projectID, err)
	}
	if err := os.RemoveAll(r.SocketDir(projectID)); err != nil {
		return fmt.Errorf("removing socket folder of project %s: %w", projectID, err)
	}
	// The agent's login goes with the project: it is a credential.
	if err := os.RemoveAll(r.HomeDir(projectID)); err != nil {
		return fmt.Errorf("removing config folders of project %s: %w", projectID, err)
	}
	return nil
}
