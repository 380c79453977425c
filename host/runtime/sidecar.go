package runtime

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/warden-sh/warden/host/wait"
)

// sidecarSpec is the sidecar container of a project: CAP_NET_ADMIN added and
// nothing else, host.docker.internal mapped to the host gateway, the socket
// folder at /run/warden, restarted by the engine unless stopped.
func sidecarSpec(instance string, cfg Config, projectID, socketDir, imageID string, gateways []netip.Addr) containerSpec {
	cmd := []string{"--control-socket", sidecarSocketPath, "--policy-file", sidecarPolicyPath}
	for _, u := range cfg.Upstreams {
		cmd = append(cmd, "--upstream", u)
	}
	for _, g := range gateways {
		cmd = append(cmd, "--host-gateway", g.String())
	}
	for _, p := range cfg.ClosedHostPorts {
		cmd = append(cmd, "--host-closed-port", strconv.Itoa(p))
	}
	return containerSpec{
		Name:    sidecarName(projectID),
		ImageID: imageID,
		Config: &container.Config{
			Image: cfg.SidecarImage,
			Cmd:   cmd,
		},
		Host: &container.HostConfig{
			NetworkMode:   container.NetworkMode(cfg.Network),
			CapAdd:        []string{"NET_ADMIN"},
			ExtraHosts:    []string{"host.docker.internal:host-gateway"},
			RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
			SecurityOpt:   []string{"no-new-privileges"},
			Mounts: []mount.Mount{{
				Type:   mount.TypeBind,
				Source: socketDir,
				Target: sidecarRunDir,
			}},
		},
	}.sealed(labels(instance, projectID, RoleSidecar))
}

// ensureSidecar brings the project's sidecar to running, creating or
// recreating it as needed, and returns it as inspected once running. It
// does not wait for it to be ready (waitReady).
func (r *Runtime) ensureSidecar(ctx context.Context, projectID string) (container.InspectResponse, error) {
	img, err := r.inspectImage(ctx, r.cfg.SidecarImage, "sidecar")
	if err != nil {
		return container.InspectResponse{}, err
	}
	// The second round only happens when the gateway the engine gave the
	// sidecar is not the one it was told about; the spec then differs and
	// the sidecar is recreated with the address it really has.
	for round := 0; ; round++ {
		gws, err := r.hostGateways(ctx)
		if err != nil {
			return container.InspectResponse{}, err
		}
		spec := sidecarSpec(r.instance, r.cfg, projectID, r.SocketDir(projectID), img.ID, gws)
		c, err := r.ensureContainer(ctx, spec)
		if err != nil {
			return c, err
		}
		if !isRunning(c) {
			if c, err = r.startSidecar(ctx, c); err != nil {
				return c, err
			}
		}
		seen := observedGateways(c, r.cfg.Network)
		r.rememberGateways(r.cfg.Network, seen)
		if round == 0 && !containsAll(gws, seen) {
			r.log.Warn("sidecar got another gateway than expected; recreating it",
				"project", projectID, "expected", gws, "got", seen)
			continue
		}
		return c, nil
	}
}

// startSidecar starts a stopped sidecar, or waits while the engine restarts
// one (its restart policy), and returns it inspected once running.
func (r *Runtime) startSidecar(ctx context.Context, c container.InspectResponse) (container.InspectResponse, error) {
	if !isRestarting(c) {
		if err := r.docker.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			return c, fmt.Errorf("starting sidecar %s: %w", c.Name, err)
		}
	}
	deadline := time.Now().Add(r.cfg.ReadyTimeout)
	for {
		now, err := r.docker.ContainerInspect(ctx, c.ID)
		if err != nil {
			return c, fmt.Errorf("inspecting sidecar %s: %w", c.Name, err)
		}
		if isRunning(now) {
			return now, nil
		}
		if !isRestarting(now) {
			return now, fmt.Errorf("sidecar %s did not stay up: %s%s", c.Name, exitSummary(now), r.logTail(ctx, c.ID))
		}
		if time.Now().After(deadline) {
			return now, fmt.Errorf("sidecar %s still restarting after %s%s", c.Name, r.cfg.ReadyTimeout, r.logTail(ctx, c.ID))
		}
		if err := wait.Sleep(ctx, pollInterval); err != nil {
			return now, err
		}
	}
}

func containsAll(set, sub []netip.Addr) bool {
	for _, a := range sub {
		if !slices.Contains(set, a) {
			return false
		}
	}
	return true
}
