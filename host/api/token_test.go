package api

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	raw, err := hex.DecodeString(tok)
	require.NoError(t, err)
	require.Len(t, raw, 32)

	info, err := os.Stat(TokenPath(dir))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dinfo, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dinfo.Mode().Perm())

	again, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	require.Equal(t, tok, again, "an existing token is reused")
	read, err := ReadToken(dir)
	require.NoError(t, err)
	require.Equal(t, tok, read)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
}

func TestTokenFileModeNarrowed(t *testing.T) {
	dir := t.TempDir()
	tok, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(TokenPath(dir), 0o644))
	again, err := LoadOrCreateToken(dir)
	require.NoError(t, err)
	require.Equal(t, tok, again)
	info, err := os.Stat(TokenPath(dir))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
}

func TestTokenFileRefusals(t *testing.T) {
	for _, tt := range []struct{ name, body string }{
		{"empty", ""},
		{"short", "abcd\n"},
		{"not hex", "zz" + testToken[2:]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(TokenPath(dir), []byte(tt.body), 0o600))
			_, err := LoadOrCreateToken(dir)
			require.ErrorContains(t, err, TokenPath(dir))
			require.ErrorContains(t, err, "expect 64 hex characters")
		})
	}
	t.Run("missing for the CLI", func(t *testing.T) {
		_, err := ReadToken(t.TempDir())
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}
