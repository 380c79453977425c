package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
)

func TestStatusMergesWardenFilePorts(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.Ports = []int{3000, 8080}
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	report := make(chan func([]int, error), 1)
	env.d.watchWarden = func(ctx context.Context, workspace string, fn func([]int, error)) error {
		require.Equal(t, p.Workspace, workspace)
		report <- fn
		<-ctx.Done()
		return nil
	}
	env.run(t)
	fn := <-report

	fn([]int{3000, 5173}, nil)
	st, err := env.d.Status(context.Background(), p.ID)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.NotNil(t, st.Sidecar)
	require.True(t, st.Sidecar.Ready)
	require.Equal(t, []int{3000, 5173, 8080}, st.Ports)
	require.Equal(t, []int{3000, 5173}, st.WardenFilePorts)
	require.Empty(t, st.WardenFileError)

	fn(nil, errors.New(`reading /w/.warden.json: invalid JSON at line 1, column 3`))
	st, err = env.d.Status(context.Background(), p.ID)
	require.NoError(t, err)
	require.Equal(t, []int{3000, 5173, 8080}, st.Ports, "an invalid file keeps the previous list")
	require.Contains(t, st.WardenFileError, "invalid JSON")

	stored, _ := env.st.project(p.ID)
	require.Equal(t, p.Policy(), stored.Policy(), ".warden.json never touches the policy")
	require.Equal(t, []int{3000, 8080}, stored.Ports)
}

func TestStatusOfUnreachableSidecar(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.sc.setDown(env.socket(p.ID), true)
	st, err := env.d.Status(context.Background(), "web")
	require.NoError(t, err)
	require.Nil(t, st.Sidecar)
	require.Contains(t, st.SidecarError, "not reachable")
	require.True(t, st.PolicyPending)
}

func TestWardenFileWithRealWatcher(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	env.d.watchWarden = func(ctx context.Context, workspace string, fn func([]int, error)) error {
		return project.Watcher{Workspace: workspace}.Run(ctx, fn)
	}
	writeFile(t, p.Workspace, `{"forwardedPorts": [5173]}`)
	env.d.ensureWardenWatch(p)
	eventually(t, func() bool {
		st, err := env.d.Status(context.Background(), p.ID)
		return err == nil && len(st.Ports) == 1 && st.Ports[0] == 5173
	}, "the file's ports reach the status")
	writeFile(t, p.Workspace, `{"forwardedPorts": [5173,`)
	eventually(t, func() bool {
		st, _ := env.d.Status(context.Background(), p.ID)
		return st.WardenFileError != "" && len(st.Ports) == 1
	}, "invalid JSON shows the error and keeps the list")
}
