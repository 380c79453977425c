package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/warden-sh/warden/host/wait"
	"github.com/warden-sh/warden/sidecar/control"
)

// pollInterval is how often a wait looks again; a sidecar becomes ready in
// tens of milliseconds, so a coarser step would show in every start.
const pollInterval = 10 * time.Millisecond

// waitReady polls the sidecar's control socket until it reports ready,
// which it does only once its whole policy is in place.
func (r *Runtime) waitReady(ctx context.Context, projectID, containerID string) error {
	start := time.Now()
	deadline := start.Add(r.cfg.ReadyTimeout)
	client := control.NewClient(r.SocketPath(projectID))
	var last error
	for i := 0; ; i++ {
		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := client.Status(callCtx)
		cancel()
		switch {
		case err == nil && st.Ready:
			r.log.Info("sidecar ready", "project", projectID, "ms", time.Since(start).Milliseconds(), "mode", st.Mode)
			return nil
		case err == nil:
			last = fmt.Errorf("sidecar answers but is not ready: %s", strings.Join(st.Problems, "; "))
		default:
			last = err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for sidecar of project %s: %w", projectID, ctx.Err())
		}
		// A sidecar that exited will never answer; say why instead of
		// waiting out the timeout.
		if i%10 == 9 {
			c, err := r.docker.ContainerInspect(ctx, containerID)
			if err == nil && !isRunning(c) && !isRestarting(c) {
				return fmt.Errorf("waiting for sidecar of project %s: it stopped: %s%s", projectID, exitSummary(c), r.logTail(ctx, containerID))
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for sidecar of project %s: not ready after %s: %w%s", projectID, r.cfg.ReadyTimeout, last, r.logTail(ctx, containerID))
		}
		if err := wait.Sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("waiting for sidecar of project %s: %w", projectID, err)
		}
	}
}

// logTail returns the last lines a container logged, to explain a failure.
func (r *Runtime) logTail(ctx context.Context, containerID string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	rc, err := r.docker.ContainerLogs(ctx, containerID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "15"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, 64<<10)); err != nil && !errors.Is(err, io.EOF) && buf.Len() == 0 {
		return ""
	}
	out := strings.TrimSpace(buf.String())
	if out == "" {
		return ""
	}
	return "; its last log lines:\n" + out
}

// exitSummary says how a stopped container ended.
func exitSummary(c container.InspectResponse) string {
	st := stateOfContainer(c)
	if st == nil {
		return "no state"
	}
	s := fmt.Sprintf("%s, exit code %d", st.Status, st.ExitCode)
	if st.OOMKilled {
		s += ", killed for lack of memory"
	}
	if st.Error != "" {
		s += ": " + st.Error
	}
	return s
}

// stateOfContainer is the engine's state of c, nil when the answer has none
// (InspectResponse embeds a pointer that may be nil).
func stateOfContainer(c container.InspectResponse) *container.State {
	if c.ContainerJSONBase == nil {
		return nil
	}
	return c.State
}

func isRunning(c container.InspectResponse) bool {
	st := stateOfContainer(c)
	return st != nil && st.Running && !st.Restarting
}

func isRestarting(c container.InspectResponse) bool {
	st := stateOfContainer(c)
	return st != nil && st.Restarting
}
