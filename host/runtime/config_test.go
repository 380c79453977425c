package runtime

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
	"github.com/stretchr/testify/require"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults filled", Config{SocketRoot: "/var/lib/warden/sockets"}, ""},
		{"relative socket folder", Config{SocketRoot: "sockets"}, `socket folder "sockets" is not an absolute path`},
		{"empty socket folder", Config{}, `socket folder "" is not an absolute path`},
		{"socket folder too long", Config{SocketRoot: "/" + strings.Repeat("x", 90)}, "is too long"},
		{"bad upstream", Config{SocketRoot: "/s", Upstreams: []string{"192.0.2.53"}}, `bad upstream resolver "192.0.2.53"; expect ip:port`},
		{"good upstreams", Config{SocketRoot: "/s", Upstreams: []string{"192.0.2.53:53", "[2001:db8::53]:53"}}, ""},
		{"relative config folder root", Config{SocketRoot: "/s", HomeRoot: "homes"}, `config folder root "homes" is not an absolute path`},
		{"config folders hold the sockets", Config{SocketRoot: "/d/homes/sockets", HomeRoot: "/d/homes"}, "overlap"},
		{"config folders inside the sockets", Config{SocketRoot: "/d/sockets", HomeRoot: "/d/sockets/homes"}, "overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newRuntime(tc.cfg, nil, nil)
			if tc.want != "" {
				require.ErrorContains(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			got := r.Config()
			require.Equal(t, "warden-sidecar:latest", got.SidecarImage)
			require.Equal(t, "bridge", got.Network)
			require.Equal(t, 30*time.Second, got.ReadyTimeout)
			require.NotNil(t, got.Agents, "the built-in agent types")
			if tc.cfg.HomeRoot == "" {
				require.Equal(t, filepath.Join(filepath.Dir(tc.cfg.SocketRoot), "homes"), got.HomeRoot, "beside the sockets")
			}
		})
	}
}

func TestGatewaysFromIPAM(t *testing.T) {
	for _, tc := range []struct {
		name string
		ipam []network.IPAMConfig
		want []string
	}{
		{"gateway given", []network.IPAMConfig{{Subnet: "172.18.0.0/16", Gateway: "172.18.0.1"}}, []string{"172.18.0.1"}},
		{"only a subnet (default bridge on 20.10)", []network.IPAMConfig{{Subnet: "172.17.0.0/16"}}, []string{"172.17.0.1"}},
		{"unmasked subnet", []network.IPAMConfig{{Subnet: "10.1.2.3/24"}}, []string{"10.1.2.1"}},
		{"dual stack", []network.IPAMConfig{{Subnet: "172.18.0.0/16", Gateway: "172.18.0.1"}, {Subnet: "2001:db8:1::/64", Gateway: "2001:db8:1::1"}}, []string{"172.18.0.1", "2001:db8:1::1"}},
		{"nothing usable", []network.IPAMConfig{{Subnet: "junk"}}, nil},
		{"no config", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []netip.Addr
			for _, s := range tc.want {
				want = append(want, netip.MustParseAddr(s))
			}
			require.Equal(t, want, gatewaysFromIPAM(tc.ipam))
		})
	}
}

func TestUnixSocketPath(t *testing.T) {
	require.Equal(t, []string{"/var/run/docker.sock"}, unixSocketPath("unix:///var/run/docker.sock"))
	require.Nil(t, unixSocketPath("tcp://127.0.0.1:2375"))
	require.Nil(t, unixSocketPath("::"))
}
