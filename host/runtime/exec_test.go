package runtime

import (
	"bytes"
	"context"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/require"
)

func TestExec(t *testing.T) {
	f := newFakeDocker(t)
	ex := &execFake{fakeDocker: f, resized: make(chan container.ResizeOptions, 4)}
	r, err := newRuntime(Config{SocketRoot: shortTempDir(t), HomeRoot: shortTempDir(t)}, nil, ex)
	require.NoError(t, err)
	ctx := context.Background()

	_, err = r.Exec(ctx, testID, []string{"true"}, ExecOptions{})
	require.ErrorContains(t, err, "has no agent container")

	require.NoError(t, r.Start(ctx, testProject(t)))
	t.Run("no command runs the agent type's", func(t *testing.T) {
		_, err = r.Exec(ctx, testID, nil, ExecOptions{})
		require.NoError(t, err)
		require.Equal(t, []string{"claude"}, ex.opts.Cmd)
	})

	t.Run("streams apart and exit code", func(t *testing.T) {
		ex.stdout, ex.stderr, ex.code = "out\n", "err\n", 3
		var out, errOut bytes.Buffer
		code, err := r.Exec(ctx, testID, []string{"sh", "-c", "x"}, ExecOptions{Stdout: &out, Stderr: &errOut, User: "root"})
		require.NoError(t, err)
		require.Equal(t, 3, code)
		require.Equal(t, "out\n", out.String())
		require.Equal(t, "err\n", errOut.String())
		require.Equal(t, "root", ex.opts.User)
		require.False(t, ex.opts.Tty)
		require.False(t, ex.opts.AttachStdin)
		require.Equal(t, []string{"sh", "-c", "x"}, ex.opts.Cmd)
	})

	t.Run("tty with resize", func(t *testing.T) {
		ex.stdout, ex.code = "raw\r\n", 0
		sizes := make(chan [2]uint, 1)
		sizes <- [2]uint{24, 80}
		var out bytes.Buffer
		code, err := r.Exec(ctx, testID, []string{"bash"}, ExecOptions{TTY: true, Stdout: &out, Resize: sizes})
		require.NoError(t, err)
		require.Zero(t, code)
		require.Equal(t, "raw\r\n", out.String())
		require.True(t, ex.opts.Tty)
	})

	t.Run("stopped agent", func(t *testing.T) {
		require.NoError(t, r.Stop(ctx, testID))
		_, err := r.Exec(ctx, testID, []string{"true"}, ExecOptions{})
		require.ErrorContains(t, err, "is not running")
	})
}
