package agent

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func validDefinition() Definition {
	return Definition{
		Name:          "aider",
		DisplayName:   " Aider ",
		Image:         "warden-agent-aider:latest",
		Command:       []string{"aider"},
		Env:           map[string]string{"AIDER_CHECK_UPDATE": "false"},
		ConfigFolders: []string{"/home/agent/.aider/", "/home/agent/.config/aider"},
		Domains:       []string{"OpenAI.com", "*.anthropic.com", "openai.com."},
		HealthCheck:   []string{"aider", "--version"},
	}
}

func TestCheckCanonical(t *testing.T) {
	d, err := Check(validDefinition())
	require.NoError(t, err)
	require.Equal(t, "Aider", d.DisplayName)
	require.Equal(t, []string{"anthropic.com", "openai.com"}, d.Domains)
	require.Equal(t, []string{"/home/agent/.aider", "/home/agent/.config/aider"}, d.ConfigFolders)
	again, err := Check(d)
	require.NoError(t, err)
	require.Equal(t, d, again)
}

func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Definition)
		has  []string // in the message: the bad value and what is accepted
	}{
		{"empty name", func(d *Definition) { d.Name = "" }, []string{`""`, "is empty", "lower-case letters"}},
		{"upper case", func(d *Definition) { d.Name = "Aider" }, []string{`"Aider"`, "lower-case"}},
		{"dot in name", func(d *Definition) { d.Name = "ai.der" }, []string{`"ai.der"`, `'.'`}},
		{"underscore", func(d *Definition) { d.Name = "ai_der" }, []string{`'_'`}},
		{"leading digit", func(d *Definition) { d.Name = "1aider" }, []string{"start with a lower-case letter"}},
		{"trailing dash", func(d *Definition) { d.Name = "aider-" }, []string{"ends with a dash"}},
		{"double dash", func(d *Definition) { d.Name = "ai--der" }, []string{"two dashes"}},
		{"long name", func(d *Definition) { d.Name = strings.Repeat("a", 33) }, []string{"longer than 32"}},
		{"no display name", func(d *Definition) { d.DisplayName = "  " }, []string{"displayName", "is empty"}},
		{"control in display name", func(d *Definition) { d.DisplayName = "A\x1b[31m" }, []string{"displayName", "non-printable"}},
		{"no image", func(d *Definition) { d.Image = "" }, []string{"image", "is empty", "warden-agent-claude-code:latest"}},
		{"bad image", func(d *Definition) { d.Image = "Not An Image" }, []string{"image", `"Not An Image"`}},
		{"no command", func(d *Definition) { d.Command = nil }, []string{"command", "is empty"}},
		{"blank program", func(d *Definition) { d.Command = []string{" "} }, []string{"command", "names no program"}},
		{"NUL in command", func(d *Definition) { d.Command = []string{"a\x00b"} }, []string{"command", "NUL"}},
		{"no health check", func(d *Definition) { d.HealthCheck = nil }, []string{"healthCheck", "is empty"}},
		{"env name", func(d *Definition) { d.Env = map[string]string{"1X": "y"} }, []string{"env", `"1X"`, "letters, digits and underscores"}},
		{"env NUL", func(d *Definition) { d.Env = map[string]string{"X": "a\x00"} }, []string{"env", `"X"`, "NUL"}},
		{"relative folder", func(d *Definition) { d.ConfigFolders = []string{".aider"} }, []string{"configFolders", `".aider"`, "absolute"}},
		{"system folder", func(d *Definition) { d.ConfigFolders = []string{"/etc/aider"} }, []string{"configFolders", `"/etc/aider"`, "home folder"}},
		{"the workspace", func(d *Definition) { d.ConfigFolders = []string{"/workspace"} }, []string{"home folder"}},
		{"a whole home", func(d *Definition) { d.ConfigFolders = []string{"/home/agent"} }, []string{"home folder"}},
		{"dot dot", func(d *Definition) { d.ConfigFolders = []string{"/home/agent/../../etc"} }, []string{".."}},
		{"nested folders", func(d *Definition) { d.ConfigFolders = []string{"/home/agent/.a", "/home/agent/.a/b"} }, []string{`"/home/agent/.a/b"`, "lies inside"}},
		{"bad domain", func(d *Definition) { d.Domains = []string{"openai.com", "bad..example"} }, []string{"domains", `"bad..example"`, "expect a domain name"}},
		{"URL as domain", func(d *Definition) { d.Domains = []string{"https://openai.com"} }, []string{`"https://openai.com"`, "URL"}},
		{"public suffix", func(d *Definition) { d.Domains = []string{"com"} }, []string{`"com"`}},
		{"shared suffixes", func(d *Definition) { d.Domains = []string{"openai.com", "amazonaws.com"} }, []string{"domains", `"amazonaws.com"`, "s3.amazonaws.com", "narrower"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDefinition()
			tc.edit(&d)
			_, err := Check(d)
			require.Error(t, err)
			require.True(t, errors.Is(err, ErrInvalid), "wraps ErrInvalid: %v", err)
			for _, h := range tc.has {
				require.Contains(t, err.Error(), h)
			}
		})
	}
}

func TestCheckCopies(t *testing.T) {
	in := validDefinition()
	out, err := Check(in)
	require.NoError(t, err)
	out.Command[0] = "changed"
	out.Env["AIDER_CHECK_UPDATE"] = "changed"
	require.Equal(t, "aider", in.Command[0])
	require.Equal(t, "false", in.Env["AIDER_CHECK_UPDATE"])
}
