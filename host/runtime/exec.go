package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/errdefs"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/warden-sh/warden/host/wait"
)

// ExecOptions say how a command runs in the agent and where its streams go.
type ExecOptions struct {
	// TTY gives the command a terminal; its output then comes as one
	// stream, on Stdout.
	TTY bool
	// Stdin, when set, is copied to the command until it ends; the
	// command then sees end of input. Nil means no input. A reader that
	// blocks (a terminal) holds a goroutine until its next read returns.
	Stdin io.Reader
	// Stdout and Stderr receive the command's output; nil discards it.
	Stdout, Stderr io.Writer
	// Size is the terminal's first size [height, width], set as the
	// command starts; zero leaves the engine's. Used with TTY only.
	Size [2]uint
	// Resize carries later terminal sizes [height, width]. Used with TTY
	// only.
	Resize <-chan [2]uint
	// User runs the command as this user (name or uid[:gid]); empty means
	// the image's user.
	User string
	// Env adds KEY=VALUE variables, such as TERM.
	Env []string
	// WorkingDir overrides the image's folder (default /workspace).
	WorkingDir string
}

// exitWait bounds how long Exec waits, once the output has ended, for the
// engine to record the exit code.
const exitWait = 5 * time.Second

// Exec runs cmd in the project's agent container and returns its exit code
// once it ends; no cmd runs the agent type's command (the agent itself).
// Ending ctx closes the connection; the command itself is not killed by the
// engine (Docker has no such call) and may run on.
func (r *Runtime) Exec(ctx context.Context, projectID string, cmd []string, opts ExecOptions) (int, error) {
	if err := checkID(projectID); err != nil {
		return -1, err
	}
	name := agentName(projectID)
	agent, err := r.docker.ContainerInspect(ctx, name)
	if errdefs.IsNotFound(err) {
		return -1, fmt.Errorf("project %s has no agent container; start the project first", projectID)
	}
	if err != nil {
		return -1, fmt.Errorf("inspecting container %s: %w", name, err)
	}
	if !isRunning(agent) {
		return -1, fmt.Errorf("the agent of project %s is not running (%s); start the project first", projectID, exitSummary(agent))
	}
	if len(cmd) == 0 {
		if cmd = agentCommand(agent); len(cmd) == 0 {
			return -1, errors.New("exec: no command given and the agent container records no agent command; expect a command and its arguments, such as [\"bash\"]")
		}
	}

	var size *[2]uint
	if opts.TTY && opts.Size[0] > 0 && opts.Size[1] > 0 {
		size = &opts.Size
		cmd = sizedCommand(cmd, opts.Size)
	}
	created, err := r.docker.ContainerExecCreate(ctx, agent.ID, container.ExecOptions{
		ConsoleSize:  size,
		User:         opts.User,
		Tty:          opts.TTY,
		AttachStdin:  opts.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
		Env:          opts.Env,
		WorkingDir:   opts.WorkingDir,
		Cmd:          cmd,
	})
	if err != nil {
		return -1, fmt.Errorf("creating exec of %q in %s: %w", cmd[0], name, err)
	}
	conn, err := r.docker.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: opts.TTY, ConsoleSize: size})
	if err != nil {
		return -1, fmt.Errorf("starting %q in %s: %w", cmd[0], name, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, conn.Close)
	defer stop()

	done := make(chan struct{})
	defer close(done)
	if opts.TTY && opts.Resize != nil {
		go r.forwardResizes(ctx, created.ID, opts.Resize, done)
	}
	if opts.Stdin != nil {
		go func() {
			_, _ = io.Copy(conn.Conn, opts.Stdin)
			_ = conn.CloseWrite()
		}()
	}

	stdout, stderr := orDiscard(opts.Stdout), orDiscard(opts.Stderr)
	if opts.TTY {
		_, err = io.Copy(stdout, conn.Reader)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, conn.Reader)
	}
	if ctx.Err() != nil {
		return -1, fmt.Errorf("running %q in %s: %w", cmd[0], name, ctx.Err())
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return -1, fmt.Errorf("reading output of %q in %s: %w", cmd[0], name, err)
	}
	return r.exitCode(ctx, created.ID, cmd[0], name)
}

// exitCode waits for the engine to record that the exec ended.
func (r *Runtime) exitCode(ctx context.Context, execID, command, containerName string) (int, error) {
	deadline := time.Now().Add(exitWait)
	for {
		st, err := r.docker.ContainerExecInspect(ctx, execID)
		if err != nil {
			return -1, fmt.Errorf("reading exit code of %q in %s: %w", command, containerName, err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("reading exit code of %q in %s: output ended but the command still runs after %s", command, containerName, exitWait)
		}
		if err := wait.Sleep(ctx, pollInterval); err != nil {
			return -1, err
		}
	}
}

// forwardResizes passes terminal sizes on until the exec ends. The first
// resize can race the process's start; it is tried once more.
func (r *Runtime) forwardResizes(ctx context.Context, execID string, sizes <-chan [2]uint, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case size, ok := <-sizes:
			if !ok {
				return
			}
			opts := container.ResizeOptions{Height: size[0], Width: size[1]}
			if err := r.docker.ContainerExecResize(ctx, execID, opts); err != nil {
				_ = wait.Sleep(ctx, 20*time.Millisecond)
				if err := r.docker.ContainerExecResize(ctx, execID, opts); err != nil {
					r.log.Debug("resizing exec terminal", "exec", execID, "err", err)
				}
			}
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// sizeFirst sets the terminal's size from inside before the command runs,
// then runs it in the shell's place. Engines before API 1.42 ignore an
// exec's ConsoleSize, and a resize sent after the start races the command
// (a `stty size` or a full-screen program would see 0x0). A program that is
// not there ends with 126, as the engine's own exec does.
const sizeFirst = `stty rows "$1" cols "$2" 2>/dev/null; shift 2
command -v -- "$1" >/dev/null 2>&1 || { echo "exec: \"$1\": executable file not found in \$PATH" >&2; exit 126; }
exec "$@"`

// sizedCommand wraps cmd so that it starts with the terminal at size
// [height, width].
func sizedCommand(cmd []string, size [2]uint) []string {
	return append([]string{"/bin/sh", "-c", sizeFirst, "sh", strconv.FormatUint(uint64(size[0]), 10), strconv.FormatUint(uint64(size[1]), 10)}, cmd...)
}
