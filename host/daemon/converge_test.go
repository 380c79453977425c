package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/runtime"
)

func TestRunRebuildsFromStoreAndContainers(t *testing.T) {
	gone := newProject(t, "gone", project.DesiredRunning)       // containers missing: started
	stopped := newProject(t, "stopped", project.DesiredStopped) // containers running: stopped
	behind := newProject(t, "behind", project.DesiredRunning)   // running with an older policy: pushed
	current := newProject(t, "current", project.DesiredRunning) // running and current: left alone
	current.AppliedGen = current.PolicyGen
	behind.PolicyGen, behind.AppliedGen = 5, 4
	orphan := project.NewID()

	env := newTestEnv(t, gone, stopped, behind, current)
	env.rt.setState(stopped.ID, runningState())
	env.rt.setState(behind.ID, runningState())
	env.rt.setState(current.ID, runningState())
	env.rt.setState(orphan, runningState())
	env.run(t)

	eventually(t, func() bool {
		st, _ := env.rt.State(context.Background(), gone.ID)
		return st.Running
	}, "a project meant to run whose containers are gone is started")
	eventually(t, func() bool { return env.rt.count("stop "+stopped.ID) == 1 }, "a stopped project's containers are stopped")
	eventually(t, func() bool { return env.rt.count("remove "+orphan) == 1 }, "containers of a deleted project are removed")
	eventually(t, func() bool {
		p, _ := env.st.project(behind.ID)
		return !p.Pending()
	}, "a pending policy is pushed")
	require.Equal(t, 0, env.rt.count("stop "+current.ID))
	require.Empty(t, env.sc.appliedTo(env.socket(current.ID)), "a current policy is not pushed again")
	require.Equal(t, 0, env.rt.count("remove "+gone.ID))
}

func TestSidecarRestartGetsPolicyAndAgentMoved(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.AppliedGen = p.PolicyGen
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)
	<-env.rt.watching
	starts := env.rt.count("start " + p.ID)
	pushes := len(env.sc.appliedTo(env.socket(p.ID)))

	env.rt.emit(p.ID, runtime.RoleSidecar, "start")
	eventually(t, func() bool {
		return env.rt.count("start "+p.ID) > starts && len(env.sc.appliedTo(env.socket(p.ID))) > pushes
	}, "a restarted sidecar gets the current policy, and Start moves its agent")
}

func TestDeadContainersOfRunningProjectAreStartedAgain(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)
	<-env.rt.watching
	starts := env.rt.count("start " + p.ID)

	env.rt.setState(p.ID, stoppedState())
	env.rt.emit(p.ID, runtime.RoleSidecar, "destroy")
	// The rebuild's own pass may start the project between the count above
	// and the stop: the test waits for a start that leaves it running.
	eventually(t, func() bool {
		st, _ := env.rt.State(context.Background(), p.ID)
		return env.rt.count("start "+p.ID) > starts && st.Running
	}, "the project is started again")
}

func TestStopEventOfStoppedProjectIsLeftAlone(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.run(t)
	<-env.rt.watching
	_, err := env.d.Stop(context.Background(), p.ID)
	require.NoError(t, err)
	starts := env.rt.count("start " + p.ID)
	env.rt.emit(p.ID, runtime.RoleSidecar, "die")
	env.d.convergeAll(context.Background(), trigger{})
	require.Equal(t, starts, env.rt.count("start "+p.ID))
	stored, _ := env.st.project(p.ID)
	require.Equal(t, project.DesiredStopped, stored.Desired)
}

func TestStartStopRestart(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)

	got, res, err := env.d.Start(context.Background(), "web")
	require.NoError(t, err)
	require.Equal(t, project.DesiredRunning, got.Desired)
	require.True(t, res.Applied)
	require.False(t, got.Pending())
	require.Equal(t, []string{"start " + p.ID}, env.rt.callLog())

	got, err = env.d.Stop(context.Background(), "web")
	require.NoError(t, err)
	require.Equal(t, project.DesiredStopped, got.Desired)

	got, _, err = env.d.Restart(context.Background(), "web")
	require.NoError(t, err)
	require.Equal(t, project.DesiredRunning, got.Desired)
	require.Equal(t, []string{"start " + p.ID, "stop " + p.ID, "stop " + p.ID, "start " + p.ID}, env.rt.callLog())
}

func TestFailedStartLeavesProjectStopped(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	env.rt.startErr = errors.New(`agent image "warden-agent-claude-code:latest" not found`)

	_, _, err := env.d.Start(context.Background(), p.ID)
	require.ErrorContains(t, err, "not found")
	stored, _ := env.st.project(p.ID)
	require.Equal(t, project.DesiredStopped, stored.Desired)
	st, err := env.d.Status(context.Background(), p.ID)
	require.NoError(t, err)
	require.Contains(t, st.RuntimeError, "not found")
}
