package runtime

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/errdefs"
)

// List returns the state of every project that has a container, keyed by
// project id, from the containers' labels alone: this is how the daemon
// rebuilds its view when it starts.
func (r *Runtime) List(ctx context.Context) (map[string]State, error) {
	found, err := r.docker.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", LabelProject), r.ownFilter()),
	})
	if err != nil {
		return nil, fmt.Errorf("listing Warden containers: %w", err)
	}
	type pair struct{ sidecar, agent *container.InspectResponse }
	byProject := make(map[string]*pair)
	for _, s := range found {
		id, role := s.Labels[LabelProject], s.Labels[LabelRole]
		if checkID(id) != nil || (role != RoleSidecar && role != RoleAgent) {
			continue // not one of ours, whatever its labels say
		}
		c, err := r.docker.ContainerInspect(ctx, s.ID)
		if errdefs.IsNotFound(err) {
			continue // removed since the list
		}
		if err != nil {
			return nil, fmt.Errorf("inspecting container %s: %w", s.ID, err)
		}
		p := byProject[id]
		if p == nil {
			p = new(pair)
			byProject[id] = p
		}
		if role == RoleSidecar {
			p.sidecar = &c
		} else {
			p.agent = &c
		}
	}
	out := make(map[string]State, len(byProject))
	for id, p := range byProject {
		out[id] = stateOf(p.sidecar, p.agent, r.cfg.Network)
	}
	return out, nil
}
