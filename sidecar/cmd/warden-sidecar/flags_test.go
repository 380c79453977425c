package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	base := []string{"--upstream", "192.0.2.53:53", "--host-gateway", "198.51.100.1"}

	t.Run("flags give the initial policy", func(t *testing.T) {
		o, err := parseFlags(append(base, "--mode", "restricted", "--domain", "github.com", "--policy-file", policy))
		require.NoError(t, err)
		require.Equal(t, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"github.com"}}, o.cfg.Initial)
	})
	t.Run("policy file wins when present", func(t *testing.T) {
		require.NoError(t, os.WriteFile(policy, []byte(`{"mode":"none","domains":["npmjs.org"]}`), 0o600))
		o, err := parseFlags(append(base, "--mode", "restricted", "--policy-file", policy))
		require.NoError(t, err)
		require.Equal(t, shared.Policy{Mode: shared.ModeNone, Domains: []string{"npmjs.org"}}, o.cfg.Initial)
	})
	for name, tc := range map[string]struct {
		args []string
		file string
		want string
	}{
		"bad domain":         {args: []string{"--mode", "restricted", "--domain", "http://x.example"}, want: `"http://x.example"`},
		"bad mode":           {args: []string{"--mode", "open"}, want: `"open"`},
		"bad upstream":       {args: []string{"--upstream", "resolver"}, want: `"resolver"`},
		"bad gateway":        {args: []string{"--host-gateway", "gw"}, want: `"gw"`},
		"zero mark":          {args: []string{"--mark", "0"}, want: "--mark"},
		"stray argument":     {args: []string{"restricted"}, want: `"restricted"`},
		"broken policy file": {file: `{"mode":`, want: "policy file"},
		"unknown policy key": {file: `{"mode":"none","extra":1}`, want: "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{}, base...), tc.args...)
			if tc.file != "" {
				require.NoError(t, os.WriteFile(policy, []byte(tc.file), 0o600))
				args = append(args, "--policy-file", policy)
			}
			_, err := parseFlags(args)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
