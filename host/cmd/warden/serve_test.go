package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/cli"
)

func TestServeRefusesANetworkAddressUnlessAsked(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	var out, errOut bytes.Buffer
	code := cli.Execute(context.Background(), newServer(), []string{"--data", data, "serve", "--listen", "0.0.0.0:8090"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "0.0.0.0:8090 is reachable from the network")
	require.Contains(t, errOut.String(), "--reachable-from-network")
	require.Contains(t, errOut.String(), "ssh -L")
	_, err := os.Stat(data)
	require.True(t, os.IsNotExist(err), "nothing was created")
}
