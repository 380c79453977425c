package daemon

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestDryRunNamesTheContactsAnEditWouldBreak(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped) // github.com, npmjs.org
	env := newTestEnv(t, p)
	require.NoError(t, env.st.AppendEvents(p.ID, []shared.Event{
		contact(1, "api.github.com"),
		contact(2, "registry.npmjs.org"),
		event(3, "blocked.example"),  // a refusal is no contact
		contact(4, "api.github.com"), // the latest per name counts
		contact(5, "other.example"),  // reached in another mode; not allowed now
	}))
	names := func(dr DryRun) []string {
		out := []string{}
		for _, r := range dr.WouldRefuse {
			out = append(out, r.Name)
		}
		return out
	}
	none := shared.ModeNone
	full := shared.ModeFull
	tests := []struct {
		name  string
		patch project.Patch
		want  []string
	}{
		{"remove a domain", project.Patch{RemoveDomains: []string{"github.com"}}, []string{"api.github.com"}},
		{"deny a name under one", project.Patch{AddDomains: []string{"!registry.npmjs.org"}}, []string{"registry.npmjs.org"}},
		{"mode none", project.Patch{Mode: &none}, []string{"registry.npmjs.org", "api.github.com"}},
		{"mode full breaks nothing", project.Patch{Mode: &full}, []string{}},
		{"adding breaks nothing", project.Patch{AddDomains: []string{"pypi.org"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr, err := env.d.DryRunUpdate(context.Background(), "web", tt.patch)
			require.NoError(t, err)
			require.True(t, dr.DryRun)
			require.Equal(t, tt.want, names(dr))
			stored, err := env.st.Get(p.ID)
			require.NoError(t, err)
			require.Equal(t, p.Domains, stored.Domains, "nothing changed")
			require.Equal(t, p.Mode, stored.Mode)
			require.Equal(t, p.PolicyGen, stored.PolicyGen)
		})
	}
	dr, err := env.d.DryRunUpdate(context.Background(), "web", project.Patch{RemoveDomains: []string{"github.com"}})
	require.NoError(t, err)
	require.Equal(t, uint64(4), dr.WouldRefuse[0].Seq, "the latest contact with the name")
	require.NotContains(t, dr.Project.Domains, "github.com", "the project as the edit would leave it")

	_, err = env.d.DryRunUpdate(context.Background(), "web", project.Patch{AddDomains: []string{"com"}})
	var fe *project.FieldError
	require.ErrorAs(t, err, &fe, "a bad edit is refused as Update refuses it")
}
