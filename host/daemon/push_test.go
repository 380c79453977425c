package daemon

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestUpdateStoresFirstThenPushes(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.AppliedGen = p.PolicyGen
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())

	var storedAtPush project.Project
	env.sc.beforeApply = func(socket string, pol shared.Policy) {
		storedAtPush, _ = env.st.project(p.ID)
		require.Equal(t, pol, env.rt.policy(p.ID), "the policy file is written before the push")
	}
	got, res, err := env.d.Update(context.Background(), p.ID, project.Patch{
		AddDomains: []string{"Example.ORG"}, RemoveDomains: []string{"npmjs.org"},
	})
	require.NoError(t, err)
	require.Equal(t, PushResult{Applied: true, DurationMs: 1.25}, res)

	require.Equal(t, []string{"example.org", "github.com"}, storedAtPush.Domains, "stored before the push")
	require.Equal(t, p.PolicyGen+1, storedAtPush.PolicyGen)
	require.True(t, storedAtPush.Pending(), "not yet confirmed while the push is in flight")

	require.Equal(t, []shared.Policy{{Mode: shared.ModeRestricted, Domains: []string{"example.org", "github.com"}, HostAccess: shared.HostAll}},
		env.sc.appliedTo(env.socket(p.ID)))
	require.False(t, got.Pending(), "AppliedGen records the confirmation")
	stored, _ := env.st.project(p.ID)
	require.Equal(t, stored.PolicyGen, stored.AppliedGen)
}

func TestModeSwitchIsPushed(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	_, res, err := env.d.Update(context.Background(), p.ID, project.Patch{Mode: ptr(shared.ModeNone)})
	require.NoError(t, err)
	require.True(t, res.Applied)
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.Len(t, applied, 1)
	require.Equal(t, shared.ModeNone, applied[0].Mode)
	require.Equal(t, p.Domains, applied[0].Domains, "the allowlist is kept across modes")
}

func TestUnreachableSidecarLeavesPendingUntilReconciled(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.AppliedGen = p.PolicyGen
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.sc.setDown(env.socket(p.ID), true)

	got, res, err := env.d.Update(context.Background(), p.ID, project.Patch{AddDomains: []string{"example.org"}})
	require.NoError(t, err, "an unreachable sidecar is not an error: the change is stored")
	require.False(t, res.Applied)
	require.True(t, res.Pending)
	require.Contains(t, res.Error, "not reachable")
	require.Contains(t, got.Domains, "example.org")
	require.True(t, got.Pending())
	require.Equal(t, env.rt.policy(p.ID).Domains, got.Domains, "the policy file is current for the sidecar's next start")

	env.run(t)
	env.sc.setDown(env.socket(p.ID), false)
	eventually(t, func() bool {
		stored, _ := env.st.project(p.ID)
		return !stored.Pending()
	}, "the reconcile loop applies the pending policy")
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.Contains(t, applied[len(applied)-1].Domains, "example.org")
}

func TestStoppedProjectIsNotRetried(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	env.run(t)
	_, res, err := env.d.Update(context.Background(), p.ID, project.Patch{AddDomains: []string{"example.org"}})
	require.NoError(t, err)
	require.Equal(t, PushResult{}, res)
	env.d.retryPending(context.Background())
	require.Empty(t, env.sc.appliedTo(env.socket(p.ID)))
}

func TestConcurrentEditsEndApplied(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, res, err := env.d.Update(context.Background(), p.ID, project.Patch{
				AddDomains: []string{fmt.Sprintf("n%d.example.org", i)},
			})
			require.NoError(t, err)
			require.True(t, res.Applied)
		}()
	}
	wg.Wait()
	stored, _ := env.st.project(p.ID)
	require.Len(t, stored.Domains, len(p.Domains)+20)
	require.False(t, stored.Pending())
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.Equal(t, stored.Domains, applied[len(applied)-1].Domains, "the last push carries every edit")
}

func TestCutIsAskedOnlyWithTheEditThatAsksForIt(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	ctx := context.Background()
	_, _, err := env.d.Update(ctx, p.ID, project.Patch{RemoveDomains: []string{"npmjs.org"}, CutConnections: true})
	require.NoError(t, err)
	_, _, err = env.d.Update(ctx, p.ID, project.Patch{RemoveDomains: []string{"github.com"}})
	require.NoError(t, err)
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.Len(t, applied, 2)
	require.True(t, applied[0].Cut)
	require.Equal(t, []string{"github.com"}, applied[0].Domains)
	require.False(t, applied[1].Cut, "never kept for later pushes")
	stored, err := env.d.Get(ctx, p.ID)
	require.NoError(t, err)
	require.False(t, stored.Policy().Cut, "never stored")
}
