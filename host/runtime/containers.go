package runtime

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/errdefs"
)

// ensureContainer returns the container named in spec, creating it when
// missing and recreating it when it was made from another spec. It does not
// start it.
func (r *Runtime) ensureContainer(ctx context.Context, spec containerSpec) (container.InspectResponse, error) {
	c, err := r.docker.ContainerInspect(ctx, spec.Name)
	switch {
	case err == nil && spec.matches(c):
		return c, nil
	case err == nil:
		r.log.Info("container spec changed; recreating it", "container", spec.Name)
		if err := r.removeContainer(ctx, spec.Name); err != nil {
			return c, err
		}
	case !errdefs.IsNotFound(err):
		return c, fmt.Errorf("inspecting container %s: %w", spec.Name, err)
	}
	created, err := r.docker.ContainerCreate(ctx, spec.Config, spec.Host, nil, nil, spec.Name)
	if err != nil {
		return c, fmt.Errorf("creating container %s from %s: %w", spec.Name, spec.Config.Image, err)
	}
	for _, w := range created.Warnings {
		r.log.Warn("engine warning on create", "container", spec.Name, "warning", w)
	}
	c, err = r.docker.ContainerInspect(ctx, created.ID)
	if err != nil {
		return c, fmt.Errorf("inspecting container %s: %w", spec.Name, err)
	}
	return c, nil
}

// removeContainer removes a container and its anonymous volumes, running or
// not; one already gone is not an error.
func (r *Runtime) removeContainer(ctx context.Context, name string) error {
	err := r.docker.ContainerRemove(ctx, name, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("removing container %s: %w", name, err)
	}
	return nil
}

// inspectImage looks an image up in the local store. Warden never pulls: a
// missing image is built locally (make images).
func (r *Runtime) inspectImage(ctx context.Context, ref, role string) (image.InspectResponse, error) {
	img, err := r.docker.ImageInspect(ctx, ref)
	if errdefs.IsNotFound(err) {
		return img, fmt.Errorf("%s image %q is not in the local image store; build it first (make images) — Warden does not pull images", role, ref)
	}
	if err != nil {
		return img, fmt.Errorf("inspecting %s image %q: %w", role, ref, err)
	}
	return img, nil
}
