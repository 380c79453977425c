package project

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestBuildRefuses covers every validation rule: the error is a *FieldError
// that names the field and the bad value and says what is accepted.
func TestBuildRefuses(t *testing.T) {
	file := writeFile(t, t.TempDir(), "a-file", "x")
	tests := []struct {
		name     string
		edit     func(*Spec)
		field    string
		value    string
		errHas   string
		isDomain bool // the error wraps shared.ErrInvalidDomain
	}{
		{name: "domain url", edit: domains("github.com", "https://github.com"), field: "domains", value: "https://github.com", errHas: "URL", isDomain: true},
		{name: "domain port", edit: domains("github.com:443"), field: "domains", value: "github.com:443", errHas: "port", isDomain: true},
		{name: "domain path", edit: domains("github.com/org/repo"), field: "domains", value: "github.com/org/repo", errHas: "path", isDomain: true},
		{name: "domain ipv4", edit: domains("192.0.2.10"), field: "domains", value: "192.0.2.10", errHas: "IP address", isDomain: true},
		{name: "domain ipv6", edit: domains("2001:db8::1"), field: "domains", value: "2001:db8::1", errHas: "IP address", isDomain: true},
		{name: "domain tld", edit: domains("com"), field: "domains", value: "com", errHas: "top-level", isDomain: true},
		{name: "domain public suffix", edit: domains("co.uk"), field: "domains", value: "co.uk", errHas: "public suffix", isDomain: true},
		{name: "domain shared hosting suffix", edit: domains("github.io"), field: "domains", value: "github.io", errHas: "public suffix", isDomain: true},
		{name: "domain invalid name", edit: domains("git hub.com"), field: "domains", value: "git hub.com", errHas: "character", isDomain: true},
		{name: "domain empty", edit: domains(""), field: "domains", value: "", errHas: "empty", isDomain: true},
		{name: "port zero", edit: ports(0), field: "ports", value: "0", errHas: "1 to 65535"},
		{name: "port too big", edit: ports(80, 65536), field: "ports", value: "65536", errHas: "1 to 65535"},
		{name: "port negative", edit: ports(-1), field: "ports", value: "-1", errHas: "1 to 65535"},
		{name: "port twice", edit: ports(3000, 5173, 3000), field: "ports", value: "3000", errHas: "twice"},
		{name: "workspace missing", edit: workspace("/no/such/folder"), field: "workspace", value: "/no/such/folder", errHas: "does not exist"},
		{name: "workspace is a file", edit: workspace(file), field: "workspace", value: file, errHas: "not a folder"},
		{name: "workspace relative", edit: workspace("src/app"), field: "workspace", value: "src/app", errHas: "absolute"},
		{name: "workspace empty", edit: workspace(""), field: "workspace", value: "", errHas: "empty"},
		{name: "workspace root", edit: workspace("/"), field: "workspace", value: "/", errHas: "root"},
		{name: "unknown agent type", edit: func(s *Spec) { s.AgentType = "copilot" }, field: "agentType", value: "copilot", errHas: "claude-code, codex"},
		{name: "empty agent type", edit: func(s *Spec) { s.AgentType = "" }, field: "agentType", value: "", errHas: "claude-code"},
		{name: "unknown runtime", edit: func(s *Spec) { s.Runtimes = []string{"node", "cobol"} }, field: "runtimes", value: "cobol", errHas: "go, java, node, python, ruby, rust"},
		{name: "unknown mode", edit: func(s *Spec) { s.Mode = "open" }, field: "mode", value: "open", errHas: "full, restricted or none"},
		{name: "empty name", edit: func(s *Spec) { s.Name = "  " }, field: "name", value: "  ", errHas: "empty"},
		{name: "long name", edit: func(s *Spec) { s.Name = strings.Repeat("é", 65) }, field: "name", value: strings.Repeat("é", 65), errHas: "64"},
		{name: "control in name", edit: func(s *Spec) { s.Name = "a\x1bb" }, field: "name", value: "a\x1bb", errHas: "non-printable"},
		{name: "env name digit", edit: env("1ABC", "x"), field: "env", value: "1ABC", errHas: "letters"},
		{name: "env name dash", edit: env("MY-VAR", "x"), field: "env", value: "MY-VAR", errHas: "letters"},
		{name: "env value nul", edit: env("TOKEN", "a\x00b"), field: "env", value: "TOKEN", errHas: "NUL"},
		{name: "image", edit: func(s *Spec) { s.Image = "Bad Image" }, field: "image", value: "Bad Image", errHas: "image reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec(t)
			tt.edit(&s)
			p, err := s.Build(testID, testNow, testTypes)
			require.Error(t, err)
			require.Zero(t, p)

			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tt.field, fe.Field)
			require.Equal(t, tt.value, fe.Value)
			require.ErrorContains(t, err, tt.errHas)
			require.ErrorContains(t, err, strconv.Quote(tt.value), "the error names the value")
			require.ErrorContains(t, err, "expect", "the error says what is accepted")
			require.Equal(t, tt.isDomain, errors.Is(err, shared.ErrInvalidDomain))
		})
	}
}

func TestBuildRefusesBadID(t *testing.T) {
	for _, id := range []string{"", "A1B2C3D4E5F6", "a1b2c3d4e5", "a1b2c3d4e5f6a", "g1b2c3d4e5f6", "../../etc/pa"} {
		_, err := validSpec(t).Build(id, testNow, testTypes)
		var fe *FieldError
		require.ErrorAs(t, err, &fe, id)
		require.Equal(t, "id", fe.Field)
	}
}

func TestBuild(t *testing.T) {
	ws := t.TempDir()
	p, err := Spec{
		Name:      "  web app ",
		Workspace: ws + "/./",
		AgentType: "codex",
		Runtimes:  []string{"python", "go", "python"},
		Ports:     []int{5173, 3000},
		Env:       map[string]string{"DEBUG": "1", "_X9": ""},
		Image:     "registry.example.com/team/agent:1.2",
	}.Build(testID, testNow.In(time.FixedZone("x", 3600)), testTypes)
	require.NoError(t, err)

	require.Equal(t, testID, p.ID)
	require.Equal(t, "web app", p.Name, "surrounding spaces trimmed")
	require.Equal(t, filepath.Clean(ws), p.Workspace)
	require.Equal(t, []string{"go", "python"}, p.Runtimes, "sorted, each once")
	require.Equal(t, shared.ModeRestricted, p.Mode, "restricted by default")
	require.Equal(t, []int{3000, 5173}, p.Ports)
	require.Equal(t, map[string]string{"DEBUG": "1", "_X9": ""}, p.Env.Values())
	require.Equal(t, DesiredStopped, p.Desired)
	require.Equal(t, uint64(1), p.PolicyGen)
	require.Zero(t, p.AppliedGen)
	require.True(t, p.Pending(), "a new policy is not yet applied")
	require.Equal(t, time.UTC, p.CreatedAt.Location())
	require.True(t, p.CreatedAt.Equal(testNow))
	require.Equal(t, p.CreatedAt, p.UpdatedAt)

	for _, d := range []string{"openai.com", "chatgpt.com", "github.com", "pypi.org", "proxy.golang.org"} {
		require.Contains(t, p.Domains, d, "presets fill the allowlist")
	}
	require.NotContains(t, p.Domains, "npmjs.org")
	require.Equal(t, shared.Policy{Mode: shared.ModeRestricted, Domains: p.Domains, HostAccess: shared.HostAll}, p.Policy())
}

func TestBuildExplicitDomains(t *testing.T) {
	p := build(t, domains("*.GitHub.com.", "bücher.example", "github.com"))
	require.Equal(t, []string{"github.com", "xn--bcher-kva.example"}, p.Domains, "canonical, sorted, each once")

	p = build(t, domains())
	require.Equal(t, []string{}, p.Domains, "an empty list is kept empty, not filled from presets")
	require.Equal(t, []string{}, p.Policy().Domains)
}

func TestBuildEmptyCollections(t *testing.T) {
	p := build(t, func(s *Spec) { s.Runtimes, s.Ports, s.Env = nil, nil, nil })
	require.NotNil(t, p.Runtimes)
	require.NotNil(t, p.Ports)
	require.NotNil(t, p.Env)
}

func TestBuildDoesNotAliasSpec(t *testing.T) {
	s := validSpec(t)
	s.Ports = []int{3000}
	s.Env = map[string]string{"A": "1"}
	list := []string{"example.com"}
	s.Domains = &list
	p, err := s.Build(testID, testNow, testTypes)
	require.NoError(t, err)
	s.Ports[0], s.Env["A"], list[0] = 1, "2", "changed.example.com"
	require.Equal(t, []int{3000}, p.Ports)
	require.Equal(t, "1", p.Env["A"])
	require.Equal(t, []string{"example.com"}, p.Domains)
}

func domains(entries ...string) func(*Spec) {
	return func(s *Spec) {
		list := append([]string{}, entries...)
		s.Domains = &list
	}
}

func ports(p ...int) func(*Spec) { return func(s *Spec) { s.Ports = p } }

func workspace(path string) func(*Spec) { return func(s *Spec) { s.Workspace = path } }

func env(k, v string) func(*Spec) { return func(s *Spec) { s.Env = map[string]string{k: v} } }
