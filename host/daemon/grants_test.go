package daemon

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
)

func TestAddGrantPushesAtOnce(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p.AppliedGen = p.PolicyGen
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())

	res, err := env.d.AddGrant(context.Background(), "web", "Blocked.Example", time.Hour)
	require.NoError(t, err)
	require.Equal(t, "blocked.example", res.Grant.Domain)
	require.True(t, res.Push.Applied)
	require.False(t, res.Project.Pending())
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.Equal(t, []string{"blocked.example", "github.com", "npmjs.org"}, applied[len(applied)-1].Domains)
	require.Equal(t, []string{"github.com", "npmjs.org"}, res.Project.Domains, "the allowlist itself is unchanged")

	gs, err := env.d.Grants(context.Background(), p.ID)
	require.NoError(t, err)
	require.Equal(t, []project.Grant{res.Grant}, gs)
}

func TestAddGrantToStoppedProjectIsOnlyStored(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	res, err := env.d.AddGrant(context.Background(), p.ID, "blocked.example", time.Hour)
	require.NoError(t, err)
	require.Equal(t, PushResult{}, res.Push)
	require.Empty(t, env.sc.appliedTo(env.socket(p.ID)))
	stored, _ := env.st.project(p.ID)
	require.Len(t, stored.Grants, 1)
}

func TestAddGrantRefusesBadInput(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	_, err := env.d.AddGrant(context.Background(), p.ID, "not a name", time.Hour)
	var fe *project.FieldError
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "domain", fe.Field)
	_, err = env.d.AddGrant(context.Background(), p.ID, "example.com", 0)
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "ttlSeconds", fe.Field)
	_, err = env.d.AddGrant(context.Background(), "nope", "example.com", time.Hour)
	require.ErrorIs(t, err, ErrNotFound)
}

func TestRevokeGrant(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	_, err := env.d.AddGrant(context.Background(), p.ID, "blocked.example", time.Hour)
	require.NoError(t, err)

	got, res, err := env.d.RevokeGrant(context.Background(), p.ID, "blocked.example")
	require.NoError(t, err)
	require.True(t, res.Applied)
	require.Empty(t, got.Grants)
	applied := env.sc.appliedTo(env.socket(p.ID))
	require.NotContains(t, applied[len(applied)-1].Domains, "blocked.example")

	_, _, err = env.d.RevokeGrant(context.Background(), p.ID, "blocked.example")
	require.ErrorIs(t, err, ErrNotFound, "a grant that is gone is not found")
}

func TestGrantExpiresAndIsPushed(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	env.run(t)

	_, err := env.d.AddGrant(context.Background(), p.ID, "long.example", time.Hour)
	require.NoError(t, err)
	res, err := env.d.AddGrant(context.Background(), p.ID, "short.example", time.Second)
	require.NoError(t, err)
	require.Contains(t, lastApplied(env, p.ID), "short.example")

	eventually(t, func() bool {
		stored, _ := env.st.project(p.ID)
		return len(stored.Grants) == 1 && !stored.Pending() && !slices.Contains(lastApplied(env, p.ID), "short.example")
	}, "the expired grant is removed from the store and the sidecar")
	require.False(t, time.Now().Before(res.Grant.ExpiresAt), "not removed before it expired")
	require.Contains(t, lastApplied(env, p.ID), "long.example", "the other grant stays")
}

func TestExpiredGrantsGoBeforeTheRebuild(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	p, _, err := p.WithGrant("stale.example", time.Second, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	env := newTestEnv(t, p)
	env.run(t)
	eventually(t, func() bool { return env.rt.count("start "+p.ID) > 0 }, "the project is started")
	require.NotContains(t, env.rt.policy(p.ID).Domains, "stale.example",
		"a grant that expired while the daemon was down never reaches the sidecar")
	stored, _ := env.st.project(p.ID)
	require.Empty(t, stored.Grants)
}

func lastApplied(env *testEnv, id string) []string {
	applied := env.sc.appliedTo(env.socket(id))
	if len(applied) == 0 {
		return nil
	}
	return applied[len(applied)-1].Domains
}
