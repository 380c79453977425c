package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestCreateFillsPresetsAndStoresStopped(t *testing.T) {
	env := newTestEnv(t)
	p, err := env.d.Create(context.Background(), project.Spec{
		Name: "web", Workspace: t.TempDir(), AgentType: "claude-code", Runtimes: []string{"node"},
	})
	require.NoError(t, err)
	require.True(t, project.ValidID(p.ID))
	require.Equal(t, project.DesiredStopped, p.Desired)
	require.Contains(t, p.Domains, "anthropic.com")
	require.Contains(t, p.Domains, "npmjs.org")
	stored, ok := env.st.project(p.ID)
	require.True(t, ok)
	require.Equal(t, p, stored)
	require.Empty(t, env.rt.callLog(), "creating starts nothing")
}

func TestCreateRefusesBadSpec(t *testing.T) {
	workspace := t.TempDir()
	tests := []struct {
		name, field, value string
		spec               project.Spec
	}{
		{"url domain", "domains", "https://github.com", project.Spec{Domains: &[]string{"https://github.com"}}},
		{"public suffix", "domains", "co.uk", project.Spec{Domains: &[]string{"co.uk"}}},
		{"ip domain", "domains", "192.0.2.1", project.Spec{Domains: &[]string{"192.0.2.1"}}},
		{"port zero", "ports", "0", project.Spec{Ports: []int{0}}},
		{"port too big", "ports", "70000", project.Spec{Ports: []int{70000}}},
		{"missing workspace", "workspace", "/nonexistent/warden-test", project.Spec{Workspace: "/nonexistent/warden-test"}},
		{"unknown agent", "agentType", "nope", project.Spec{AgentType: "nope"}},
		{"bad mode", "mode", "open", project.Spec{Mode: "open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			spec := tt.spec
			spec.Name = "p"
			if spec.Workspace == "" {
				spec.Workspace = workspace
			}
			if spec.AgentType == "" {
				spec.AgentType = "codex"
			}
			_, err := env.d.Create(context.Background(), spec)
			var fe *project.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Contains(t, fe.Value, tt.value)
			require.Contains(t, err.Error(), tt.value, "the message names the bad value")
			ps, _ := env.st.List()
			require.Empty(t, ps, "nothing is stored")
		})
	}
}

func TestCreateRefusesNameInUse(t *testing.T) {
	existing := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, existing)
	_, err := env.d.Create(context.Background(), project.Spec{Name: "web", Workspace: t.TempDir(), AgentType: "codex"})
	require.ErrorIs(t, err, ErrConflict)
	require.ErrorContains(t, err, `"web"`)
}

func TestGetByIDOrName(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	for _, ref := range []string{p.ID, "web"} {
		got, err := env.d.Get(context.Background(), ref)
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
	}
	_, err := env.d.Get(context.Background(), "nope")
	require.ErrorIs(t, err, ErrNotFound)
	require.ErrorContains(t, err, `"nope"`)
	_, err = env.d.Get(context.Background(), "0123456789ab")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestRefusedUpdateChangesNothing(t *testing.T) {
	tests := []struct {
		name, field, value string
		patch              project.Patch
	}{
		{"url", "addDomains", "http://evil.example", project.Patch{AddDomains: []string{"http://evil.example"}}},
		{"path", "domains", "github.com/x", project.Patch{Domains: &[]string{"github.com/x"}}},
		{"port", "addDomains", "github.com:443", project.Patch{AddDomains: []string{"github.com:443"}}},
		{"tld", "addDomains", "com", project.Patch{AddDomains: []string{"com"}}},
		{"shared hosting", "addDomains", "github.io", project.Patch{AddDomains: []string{"github.io"}}},
		{"bad port", "addPorts", "65536", project.Patch{AddPorts: []int{65536}}},
		{"bad mode", "mode", "open", project.Patch{Mode: ptr(shared.Mode("open"))}},
		{"good and bad together", "addDomains", "a b.example", project.Patch{
			Mode: ptr(shared.ModeNone), AddDomains: []string{"ok.example.com", "a b.example"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, "web", project.DesiredRunning)
			env := newTestEnv(t, p)
			env.rt.setState(p.ID, runningState())
			_, _, err := env.d.Update(context.Background(), p.ID, tt.patch)
			var fe *project.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Contains(t, err.Error(), tt.value)
			stored, _ := env.st.project(p.ID)
			require.Equal(t, p, stored, "a refused update changes nothing")
			require.Empty(t, env.sc.appliedTo(env.socket(p.ID)), "nothing is pushed")
		})
	}
}

func TestUpdateOfStoppedProjectPushesNothing(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	env := newTestEnv(t, p)
	got, res, err := env.d.Update(context.Background(), "web", project.Patch{AddDomains: []string{"example.org"}})
	require.NoError(t, err)
	require.Equal(t, PushResult{}, res)
	require.Contains(t, got.Domains, "example.org")
	require.Equal(t, p.PolicyGen+1, got.PolicyGen)
	require.Empty(t, env.sc.appliedTo(env.socket(p.ID)))
}

func TestRenameRefusesNameInUse(t *testing.T) {
	a, b := newProject(t, "a", project.DesiredStopped), newProject(t, "b", project.DesiredStopped)
	env := newTestEnv(t, a, b)
	_, _, err := env.d.Update(context.Background(), a.ID, project.Patch{Name: ptr("b")})
	require.ErrorIs(t, err, ErrConflict)
	stored, _ := env.st.project(a.ID)
	require.Equal(t, "a", stored.Name)
}

func TestDeleteRemovesContainersAndProject(t *testing.T) {
	p := newProject(t, "web", project.DesiredRunning)
	env := newTestEnv(t, p)
	env.rt.setState(p.ID, runningState())
	require.NoError(t, env.st.AppendEvents(p.ID, []shared.Event{{Kind: shared.EventDNSRefused, Name: "x.example"}}))

	require.NoError(t, env.d.Delete(context.Background(), "web"))
	require.Equal(t, 1, env.rt.count("remove "+p.ID))
	_, ok := env.st.project(p.ID)
	require.False(t, ok)
	_, err := env.d.Get(context.Background(), p.ID)
	require.ErrorIs(t, err, ErrNotFound)
	st, _ := env.rt.List(context.Background())
	require.NotContains(t, st, p.ID)

	err = env.d.Delete(context.Background(), p.ID)
	require.True(t, errors.Is(err, ErrNotFound), "deleting again: %v", err)
}
