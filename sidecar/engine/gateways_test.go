package engine

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostGatewaysFromHosts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	require.NoError(t, os.WriteFile(path, []byte(`127.0.0.1 localhost
# 10.0.0.1 host.docker.internal
172.17.0.1	host.docker.internal
fe80::1%eth0 other
2001:db8::1 Host.Docker.Internal extra
`), 0o644))
	got, err := HostGatewaysFromHosts(path)
	require.NoError(t, err)
	require.Equal(t, []netip.Addr{netip.MustParseAddr("172.17.0.1"), netip.MustParseAddr("2001:db8::1")}, got)
}

func TestUpstreamsFromResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	require.NoError(t, os.WriteFile(path, []byte("nameserver 127.0.0.11\nnameserver 127.0.0.1\nnameserver ::1\noptions ndots:0\nnameserver 2001:db8::53\n"), 0o644))
	got, err := UpstreamsFromResolvConf(path)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.11:53", "[2001:db8::53]:53"}, got)

	_, err = UpstreamsFromResolvConf(filepath.Join(t.TempDir(), "missing"))
	require.ErrorContains(t, err, "missing")
}
