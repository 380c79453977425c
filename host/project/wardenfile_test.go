package project

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadWardenFile(t *testing.T) {
	tests := []struct {
		name     string
		contents string
		want     []int
		errHas   []string
	}{
		{name: "ports", contents: `{"forwardedPorts":[5173,3000]}`, want: []int{3000, 5173}},
		{name: "unknown fields ignored", contents: `{"name":"x","forwardedPorts":[8080],"more":{"a":[1]}}`, want: []int{8080}},
		{name: "no ports field", contents: `{"other":true}`},
		{name: "null ports", contents: `{"forwardedPorts":null}`},
		{name: "empty list", contents: " {\"forwardedPorts\": []}\n", want: []int{}},
		{name: "invalid json", contents: "{\n  \"forwardedPorts\": [3000,\n}", errHas: []string{"invalid JSON", "line 3", `{"forwardedPorts": [5173, 3000]}`}},
		{name: "trailing data", contents: `{"forwardedPorts":[1]} {}`, errHas: []string{"invalid JSON"}},
		{name: "empty file", contents: "  \n", errHas: []string{"empty"}},
		{name: "not an object", contents: `[3000]`, errHas: []string{"not a JSON object"}},
		{name: "ports not a list", contents: `{"forwardedPorts":3000}`, errHas: []string{`forwardedPorts "3000"`, "not a list"}},
		{name: "port zero", contents: `{"forwardedPorts":[0]}`, errHas: []string{`forwardedPorts "0"`, "1 to 65535"}},
		{name: "port too big", contents: `{"forwardedPorts":[3000,65536]}`, errHas: []string{`"65536"`, "1 to 65535"}},
		{name: "port negative", contents: `{"forwardedPorts":[-80]}`, errHas: []string{`"-80"`, "1 to 65535"}},
		{name: "port fraction", contents: `{"forwardedPorts":[3000.5]}`, errHas: []string{`"3000.5"`, "whole number"}},
		{name: "port exponent", contents: `{"forwardedPorts":[3e3]}`, errHas: []string{`"3e3"`, "whole number"}},
		{name: "port string", contents: `{"forwardedPorts":["3000"]}`, errHas: []string{`"\"3000\""`, "whole number"}},
		{name: "port twice", contents: `{"forwardedPorts":[3000,5173,3000]}`, errHas: []string{`"3000"`, "twice"}},
		{name: "huge number", contents: `{"forwardedPorts":[99999999999999999999999]}`, errHas: []string{"out of range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, WardenFileName, tt.contents)
			got, err := ReadWardenFile(dir)
			if tt.errHas != nil {
				require.Error(t, err)
				require.Nil(t, got)
				require.ErrorContains(t, err, path, "the error names the file")
				for _, s := range tt.errHas {
					require.ErrorContains(t, err, s)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestReadWardenFileMissing(t *testing.T) {
	got, err := ReadWardenFile(t.TempDir())
	require.NoError(t, err)
	require.Nil(t, got)

	got, err = ReadWardenFile("/no/such/workspace")
	require.NoError(t, err)
	require.Nil(t, got)
}

// TestReadWardenFileTraps covers files an agent could plant in its
// workspace to make the daemon read host files or hang.
func TestReadWardenFileTraps(t *testing.T) {
	t.Run("symbolic link", func(t *testing.T) {
		dir := t.TempDir()
		target := writeFile(t, t.TempDir(), "secret.json", `{"forwardedPorts":[22]}`)
		require.NoError(t, os.Symlink(target, filepath.Join(dir, WardenFileName)))
		_, err := ReadWardenFile(dir)
		require.ErrorContains(t, err, "symbolic link")
	})
	t.Run("dangling link", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Symlink("/nonexistent", filepath.Join(dir, WardenFileName)))
		_, err := ReadWardenFile(dir)
		require.ErrorContains(t, err, "symbolic link")
	})
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, WardenFileName), 0o644))
		done := make(chan error, 1)
		go func() { _, err := ReadWardenFile(dir); done <- err }()
		select {
		case err := <-done:
			require.ErrorContains(t, err, "not a regular file")
		case <-time.After(5 * time.Second):
			t.Fatal("reading a FIFO blocked")
		}
	})
	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, WardenFileName), 0o755))
		_, err := ReadWardenFile(dir)
		require.ErrorContains(t, err, "not a regular file")
	})
	t.Run("too large", func(t *testing.T) {
		dir := t.TempDir()
		big := `{"forwardedPorts":[3000],"pad":"` + strings.Repeat("x", MaxWardenFileBytes) + `"}`
		writeFile(t, dir, WardenFileName, big)
		_, err := ReadWardenFile(dir)
		require.ErrorContains(t, err, "larger than")
	})
}
