package proxy

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseHost(t *testing.T) {
	for in, want := range map[string]Host{
		"a1b2c3d4e5f6-claude-code-5173.localhost:8090":   {"a1b2c3d4e5f6", "claude-code", 5173, 8090},
		"a1b2c3d4e5f6-claude-code-5173.localhost":        {"a1b2c3d4e5f6", "claude-code", 5173, 0},
		"a1b2c3d4e5f6-claude-code-5173.localhost.:8090":  {"a1b2c3d4e5f6", "claude-code", 5173, 8090},
		"A1B2C3D4E5F6-Claude-Code-5173.LOCALHOST:8090":   {"a1b2c3d4e5f6", "claude-code", 5173, 8090},
		"a1b2c3d4e5f6-codex-1.localhost:1":               {"a1b2c3d4e5f6", "codex", 1, 1},
		"a1b2c3d4e5f6-codex-65535.localhost:65535":       {"a1b2c3d4e5f6", "codex", 65535, 65535},
		"a1b2c3d4e5f6-a-b-c-d-3000.localhost":            {"a1b2c3d4e5f6", "a-b-c-d", 3000, 0},
		"a1b2c3d4e5f6-x-8080.localhost.":                 {"a1b2c3d4e5f6", "x", 8080, 0},
		"000000000000-claude-code-80.localhost:8090":     {"000000000000", "claude-code", 80, 8090},
		"a1b2c3d4e5f6-9-80.localhost":                    {"a1b2c3d4e5f6", "9", 80, 0},
		"a1b2c3d4e5f6-claude-code2-443.localhost:8090":   {"a1b2c3d4e5f6", "claude-code2", 443, 8090},
		"ffffffffffff-claude-code-5173.localhost:8090":   {"ffffffffffff", "claude-code", 5173, 8090},
		"a1b2c3d4e5f6-claude-code-5173.LocalHost.:08090": {}, // listener port with a leading zero
	} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseHost(in)
			if want == (Host{}) {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, got)
			require.True(t, IsPreviewHost(in))
		})
	}
}

func TestParseHostRefuses(t *testing.T) {
	for in, msg := range map[string]string{
		"a1b2c3d4e5f6-claude-code-0.localhost":                      "1 to 65535",
		"a1b2c3d4e5f6-claude-code-65536.localhost":                  "1 to 65535",
		"a1b2c3d4e5f6-claude-code-05173.localhost":                  "leading zeros",
		"a1b2c3d4e5f6-claude-code-5173.localhost:0":                 "listener port",
		"a1b2c3d4e5f6-claude-code-5173.localhost:":                  "listener port",
		"a1b2c3d4e5f6-claude-code-5173.localhost:99999":             "listener port",
		"a1b2c3d4e5f6-claude-code-+80.localhost":                    "1 to 65535",
		"a1b2c3d4e5f6-claude-code-.localhost":                       "1 to 65535",
		"a1b2c3d4e5f6-claude-code.localhost":                        "1 to 65535",
		"a1b2c3d4e5f6-5173.localhost":                               "agent type",
		"a1b2c3d4e5f6--5173.localhost":                              "agent type",
		"a1b2c3d4e5f6--claude-5173.localhost":                       "agent type",
		"a1b2c3d4e5f6-claude_code-5173.localhost":                   "agent type",
		"a1b2c3d4e5f6-claude--5173.localhost":                       "agent type",
		"a1b2c3d4e5g6-claude-code-5173.localhost":                   "project id",
		"a1b2c3d4e5f-claude-code-5173.localhost":                    "project id",
		"a1b2c3d4e5f6claude-code-5173.localhost":                    "project id",
		"x.a1b2c3d4e5f6-claude-code-5173.localhost":                 "one label",
		"a1b2c3d4e5f6-claude-code-5173.foo.localhost":               "one label",
		"a1b2c3d4e5f6-" + strings.Repeat("a", 60) + "-80.localhost": "one label",
		"a1b2c3d4e5f6-clаude-code-5173.localhost":                   "ASCII", // Cyrillic а
		"a1b2c3d4e5f6-claude-code-5173.localhost\t":                 "ASCII",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseHost(in)
			require.ErrorContains(t, err, msg)
			require.False(t, errors.Is(err, ErrNotPreview), "a name under localhost is the proxy's to refuse")
		})
	}
}

func TestNotPreviewHosts(t *testing.T) {
	for _, in := range []string{
		"localhost:8090", "LOCALHOST:8090", "localhost.:8090", "127.0.0.1:8090", "[::1]:8090", "",
		"evil.example:8090", "a1b2c3d4e5f6-claude-code-5173.localhost.evil.example:8090",
		"a1b2c3d4e5f6-claude-code-5173.localhostx:8090", "xlocalhost:8090", ".localhost:8090",
	} {
		t.Run(in, func(t *testing.T) {
			require.False(t, IsPreviewHost(in))
			_, err := ParseHost(in)
			require.Error(t, err)
		})
	}
}

func TestHostRoundTrip(t *testing.T) {
	h := Host{ProjectID: "a1b2c3d4e5f6", AgentType: "claude-code", Port: 5173, Listen: 8090}
	require.Equal(t, "a1b2c3d4e5f6-claude-code-5173.localhost", h.String())
	require.Equal(t, "http://a1b2c3d4e5f6-claude-code-5173.localhost:8090", h.Origin())
	got, err := ParseHost(h.Authority())
	require.NoError(t, err)
	require.Equal(t, h, got)
}

func FuzzParseHost(f *testing.F) {
	for _, s := range []string{
		"a1b2c3d4e5f6-claude-code-5173.localhost:8090", "a1b2c3d4e5f6-a-b-1.localhost.", "localhost:8090",
		"a1b2c3d4e5f6-claude-code-0.localhost", "[::1]:80", "A1B2C3D4E5F6-X-65535.LOCALHOST.:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseHost(in)
		if err != nil {
			if errors.Is(err, ErrNotPreview) && IsPreviewHost(in) {
				t.Fatalf("%q: the front door sends it to the proxy, which calls it no preview host", in)
			}
			return
		}
		if !IsPreviewHost(in) {
			t.Fatalf("%q parses but the front door would send it to the API", in)
		}
		if h.Port < 1 || h.Port > 65535 || h.Listen < 0 || h.Listen > 65535 || len(h.ProjectID) != idLen ||
			!isID(h.ProjectID) || !isAgentType(h.AgentType) {
			t.Fatalf("%q parsed to an impossible %+v", in, h)
		}
		// One spelling per preview: the canonical form parses to the same.
		again, err := ParseHost(h.Authority())
		if err != nil || again != h {
			t.Fatalf("%q → %+v → %q → %+v, %v", in, h, h.Authority(), again, err)
		}
		want := strings.ToLower(strings.TrimSuffix(strings.Split(in, ":")[0], "."))
		if h.String() != want {
			t.Fatalf("%q: name %q is not the input's %q", in, h.String(), want)
		}
	})
}
