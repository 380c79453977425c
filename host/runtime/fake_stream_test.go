package runtime

import (
	"context"
	"io"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/pkg/stdcopy"
)

// eventsFake serves a fixed list of messages, then an error or nothing.
type eventsFake struct {
	dockerAPI
	msgs []events.Message
	err  error
	opts events.ListOptions
}

func (e *eventsFake) Events(ctx context.Context, opts events.ListOptions) (<-chan events.Message, <-chan error) {
	e.opts = opts
	msgs, errs := make(chan events.Message), make(chan error, 1)
	go func() {
		for _, m := range e.msgs {
			select {
			case msgs <- m:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
		}
		if e.err != nil {
			errs <- e.err
			return
		}
		<-ctx.Done()
		errs <- ctx.Err()
	}()
	return msgs, errs
}

// execFake runs one exec whose output and exit code are given.
type execFake struct {
	*fakeDocker
	stdout, stderr string
	code           int
	opts           container.ExecOptions
	resized        chan container.ResizeOptions
}

func (e *execFake) ContainerExecCreate(_ context.Context, _ string, opts container.ExecOptions) (container.ExecCreateResponse, error) {
	e.opts = opts
	return container.ExecCreateResponse{ID: "exec1"}, nil
}

func (e *execFake) ContainerExecAttach(_ context.Context, _ string, opts container.ExecAttachOptions) (types.HijackedResponse, error) {
	ours, theirs := netPipe()
	go func() {
		defer theirs.Close()
		if opts.Tty {
			_, _ = io.WriteString(theirs, e.stdout)
			return
		}
		_, _ = stdcopy.NewStdWriter(theirs, stdcopy.Stdout).Write([]byte(e.stdout))
		_, _ = stdcopy.NewStdWriter(theirs, stdcopy.Stderr).Write([]byte(e.stderr))
	}()
	return types.NewHijackedResponse(ours, ""), nil
}

func (e *execFake) ContainerExecInspect(context.Context, string) (container.ExecInspect, error) {
	return container.ExecInspect{ExitCode: e.code}, nil
}

func (e *execFake) ContainerExecResize(_ context.Context, _ string, opts container.ResizeOptions) error {
	e.resized <- opts
	return nil
}
