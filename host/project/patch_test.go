package project

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

var later = testNow.Add(time.Hour)

// base is a project with a small, known allowlist and port list.
func base(t *testing.T) Project {
	t.Helper()
	return build(t, func(s *Spec) {
		s.Domains = &[]string{"github.com", "npmjs.org"}
		s.Ports = []int{3000}
		s.Env = map[string]string{"A": "1"}
	})
}

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		patch   Patch
		check   func(t *testing.T, p Project)
		policy  bool // PolicyGen is bumped
		changed bool // UpdatedAt is set
	}{
		{
			name:    "add domains",
			patch:   Patch{AddDomains: []string{"Example.COM", "*.pypi.org", "example.com"}},
			check:   domainsAre("example.com", "github.com", "npmjs.org", "pypi.org"),
			policy:  true,
			changed: true,
		},
		{
			name:  "add a domain already there",
			patch: Patch{AddDomains: []string{"GITHUB.com."}},
			check: domainsAre("github.com", "npmjs.org"),
		},
		{
			name:    "remove a domain in any spelling",
			patch:   Patch{RemoveDomains: []string{"*.GitHub.com"}},
			check:   domainsAre("npmjs.org"),
			policy:  true,
			changed: true,
		},
		{
			name:  "remove a domain not there",
			patch: Patch{RemoveDomains: []string{"example.com"}},
			check: domainsAre("github.com", "npmjs.org"),
		},
		{
			name:    "replace, then add, then remove",
			patch:   Patch{Domains: &[]string{"a.example.com", "b.example.com"}, AddDomains: []string{"c.example.com"}, RemoveDomains: []string{"a.example.com"}},
			check:   domainsAre("b.example.com", "c.example.com"),
			policy:  true,
			changed: true,
		},
		{
			name:    "replace with nothing",
			patch:   Patch{Domains: &[]string{}},
			check:   domainsAre(),
			policy:  true,
			changed: true,
		},
		{
			name:  "replace with the same entries",
			patch: Patch{Domains: &[]string{"NPMJS.org", "github.com."}},
			check: domainsAre("github.com", "npmjs.org"),
		},
		{
			name:  "add and remove the same entry",
			patch: Patch{AddDomains: []string{"example.com"}, RemoveDomains: []string{"example.com"}},
			check: domainsAre("github.com", "npmjs.org"),
		},
		{
			name:    "mode switch",
			patch:   Patch{Mode: ptr(shared.ModeNone)},
			check:   func(t *testing.T, p Project) { require.Equal(t, shared.ModeNone, p.Mode) },
			policy:  true,
			changed: true,
		},
		{
			name:  "same mode",
			patch: Patch{Mode: ptr(shared.ModeRestricted)},
		},
		{
			name:    "rename",
			patch:   Patch{Name: ptr(" api ")},
			check:   func(t *testing.T, p Project) { require.Equal(t, "api", p.Name) },
			changed: true,
		},
		{
			name:    "add ports",
			patch:   Patch{AddPorts: []int{8080, 5173, 3000, 8080}},
			check:   portsAre(3000, 5173, 8080),
			changed: true,
		},
		{
			name:    "remove ports",
			patch:   Patch{RemovePorts: []int{3000, 4000}},
			check:   portsAre(),
			changed: true,
		},
		{
			name:    "replace ports, then add, then remove",
			patch:   Patch{Ports: &[]int{9000, 8000}, AddPorts: []int{7000}, RemovePorts: []int{8000}},
			check:   portsAre(7000, 9000),
			changed: true,
		},
		{
			name:  "add a port already there",
			patch: Patch{AddPorts: []int{3000}},
			check: portsAre(3000),
		},
		{
			name:  "runtimes leave the allowlist alone",
			patch: Patch{Runtimes: &[]string{"rust", "go"}},
			check: func(t *testing.T, p Project) {
				require.Equal(t, []string{"go", "rust"}, p.Runtimes)
				domainsAre("github.com", "npmjs.org")(t, p)
			},
			changed: true,
		},
		{
			name:    "image",
			patch:   Patch{Image: ptr("my-agent:dev")},
			check:   func(t *testing.T, p Project) { require.Equal(t, "my-agent:dev", p.Image) },
			changed: true,
		},
		{
			name:    "env replaced",
			patch:   Patch{Env: &map[string]string{"B": "2"}},
			check:   func(t *testing.T, p Project) { require.Equal(t, map[string]string{"B": "2"}, p.Env.Values()) },
			changed: true,
		},
		{
			name:    "one variable set, the others kept",
			patch:   Patch{SetEnv: map[string]string{"B": "2", "A": "1"}},
			check:   func(t *testing.T, p Project) { require.Equal(t, map[string]string{"A": "1", "B": "2"}, p.Env.Values()) },
			changed: true,
		},
		{
			name:    "one variable unset, the others kept",
			patch:   Patch{SetEnv: map[string]string{"B": "2"}, UnsetEnv: []string{"A", "NEVER_SET"}},
			check:   func(t *testing.T, p Project) { require.Equal(t, map[string]string{"B": "2"}, p.Env.Values()) },
			changed: true,
		},
		{
			name:  "setting a value it has changes nothing",
			patch: Patch{SetEnv: map[string]string{"A": "1"}},
		},
		{
			name:  "empty patch",
			patch: Patch{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := base(t)
			before := old.Clone()
			got, err := old.Apply(tt.patch, later)
			require.NoError(t, err)
			require.Equal(t, before, old, "the input project is never modified")
			if tt.check != nil {
				tt.check(t, got)
			}
			wantGen := old.PolicyGen
			if tt.policy {
				wantGen++
			}
			require.Equal(t, wantGen, got.PolicyGen)
			wantUpdated := old.UpdatedAt
			if tt.changed {
				wantUpdated = later
			}
			require.Equal(t, wantUpdated, got.UpdatedAt)
			require.Equal(t, old.CreatedAt, got.CreatedAt)
		})
	}
}

// TestApplyRefusedChangesNothing combines a bad field with good ones: the
// patch is refused whole and neither project changes.
func TestApplyRefusedChangesNothing(t *testing.T) {
	tests := []struct {
		name  string
		patch Patch
		field string
		value string
	}{
		{name: "url domain", patch: Patch{Domains: &[]string{"example.com", "http://evil.example"}}, field: "domains", value: "http://evil.example"},
		{name: "public suffix added", patch: Patch{AddDomains: []string{"co.uk"}}, field: "addDomains", value: "co.uk"},
		{name: "ip added", patch: Patch{AddDomains: []string{"198.51.100.7"}}, field: "addDomains", value: "198.51.100.7"},
		{name: "removal not a name", patch: Patch{RemoveDomains: []string{"https://github.com"}}, field: "removeDomains", value: "https://github.com"},
		{name: "bad mode", patch: Patch{Mode: ptr(shared.Mode("open"))}, field: "mode", value: "open"},
		{name: "port zero", patch: Patch{AddPorts: []int{0}}, field: "addPorts", value: "0"},
		{name: "port too big", patch: Patch{Ports: &[]int{65536}}, field: "ports", value: "65536"},
		{name: "duplicate ports", patch: Patch{Ports: &[]int{80, 80}}, field: "ports", value: "80"},
		{name: "remove bad port", patch: Patch{RemovePorts: []int{70000}}, field: "removePorts", value: "70000"},
		{name: "empty name", patch: Patch{Name: ptr("")}, field: "name", value: ""},
		{name: "bad image", patch: Patch{Image: ptr("UPPER")}, field: "image", value: "UPPER"},
		{name: "bad env", patch: Patch{Env: &map[string]string{"A B": "1"}}, field: "env", value: "A B"},
		{name: "unknown runtime", patch: Patch{Runtimes: &[]string{"cobol"}}, field: "runtimes", value: "cobol"},
		{name: "bad env name set", patch: Patch{SetEnv: map[string]string{"OK": "1", "1BAD": "x"}}, field: "setEnv", value: "1BAD"},
		{name: "bad env name unset", patch: Patch{UnsetEnv: []string{"A=B"}}, field: "unsetEnv", value: "A=B"},
		{name: "NUL in a set value", patch: Patch{SetEnv: map[string]string{"OK": "a\x00b"}}, field: "env", value: "OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := base(t)
			before := old.Clone()
			// Good edits beside the bad one must not leak through either.
			tt.patch.AddDomains = append([]string{"good.example.com"}, tt.patch.AddDomains...)
			if tt.patch.Mode == nil {
				tt.patch.Mode = ptr(shared.ModeFull)
			}
			if tt.patch.Env == nil {
				tt.patch.Env = &map[string]string{"C": "3"}
			}
			got, err := old.Apply(tt.patch, later)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Equal(t, tt.value, fe.Value)
			require.ErrorContains(t, err, "expect")
			require.Zero(t, got)
			require.Equal(t, before, old)
		})
	}
}

func TestApplyRemovesStaleEntryBySpelling(t *testing.T) {
	p := base(t)
	p.Domains = append(p.Domains, "old.bad/entry") // stored before the rules tightened
	got, err := p.Apply(Patch{RemoveDomains: []string{"old.bad/entry"}}, later)
	require.NoError(t, err)
	require.Equal(t, []string{"github.com", "npmjs.org"}, got.Domains)
	require.Equal(t, p.PolicyGen+1, got.PolicyGen)
}

func TestApplyDoesNotAlias(t *testing.T) {
	p := base(t)
	got, err := p.Apply(Patch{Name: ptr("other")}, later)
	require.NoError(t, err)
	got.Domains[0], got.Ports[0], got.Env["A"] = "changed.example.com", 1, "changed"
	require.Equal(t, "github.com", p.Domains[0])
	require.Equal(t, 3000, p.Ports[0])
	require.Equal(t, "1", p.Env["A"])
}

func TestPendingFollowsGenerations(t *testing.T) {
	p := base(t)
	p.AppliedGen = p.PolicyGen
	require.False(t, p.Pending())
	next, err := p.Apply(Patch{AddDomains: []string{"example.com"}}, later)
	require.NoError(t, err)
	require.True(t, next.Pending())
	next, err = next.Apply(Patch{Name: ptr("renamed")}, later)
	require.NoError(t, err)
	require.Equal(t, p.PolicyGen+1, next.PolicyGen, "a rename is not a policy change")
}

func domainsAre(want ...string) func(*testing.T, Project) {
	return func(t *testing.T, p Project) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		require.Equal(t, want, p.Domains)
	}
}

func portsAre(want ...int) func(*testing.T, Project) {
	return func(t *testing.T, p Project) {
		t.Helper()
		if want == nil {
			want = []int{}
		}
		require.Equal(t, want, p.Ports)
	}
}
