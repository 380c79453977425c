package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDockerAgentCannotEscape(t *testing.T) {
	w := newWorld(t)
	id := w.createProject("restricted", "github.com")

	asRoot := func(script string) (string, error) {
		out, errOut, err := w.cli("exec", "-u", "root", id, "--", "sh", "-c", script)
		return out + errOut, err
	}
	for _, cmd := range []string{
		"iptables -F WARDEN-OUT",
		"iptables -P OUTPUT ACCEPT",
		"ip6tables -F",
		"iptables -t nat -F",
		"ipset flush warden4",
		"ip link set eth0 down",
	} {
		t.Run(cmd, func(t *testing.T) {
			out, err := asRoot(cmd)
			require.Error(t, err, "%q succeeded as root in the agent: %s", cmd, out)
		})
	}
	for _, p := range []string{"mark", "packet", "raw"} {
		t.Run("probe "+p, func(t *testing.T) {
			out, _, err := w.cli("exec", "-u", "root", id, "--", "probe", p)
			require.NoError(t, err)
			require.Contains(t, out, `"ok":false`)
			require.Contains(t, out, "operation not permitted")
		})
	}
	t.Run("no control socket, no Docker socket", func(t *testing.T) {
		out, err := asRoot("ls /run/warden 2>&1; find / -xdev -name 'control.sock' 2>/dev/null; test -e /var/run/docker.sock || test -e /run/docker.sock")
		require.Error(t, err, out)
		require.NotContains(t, out, "control.sock")
	})
	t.Run("sidecar processes are invisible", func(t *testing.T) {
		out, err := asRoot("ps -eo comm")
		require.NoError(t, err, out)
		require.NotContains(t, out, "warden-sidecar")
		out, err = asRoot("pkill -9 warden-sidecar")
		require.Error(t, err, out)
	})
	t.Run("the daemon's API is not reachable", func(t *testing.T) {
		port := w.addr[strings.LastIndex(w.addr, ":")+1:]
		r := w.probe(id, "http", fmt.Sprintf("http://host.docker.internal:%s/api/v1/health", port))
		require.False(t, r.OK, "the agent reached the daemon's API")
	})
	t.Run("sudo works", func(t *testing.T) {
		out, _, err := w.cli("exec", id, "--", "sudo", "-n", "id", "-u")
		require.NoError(t, err)
		require.Equal(t, "0", strings.TrimSpace(out))
	})
	require.False(t, w.probe(id, "tcp", w.addrOf(15, 7)).OK, "rules intact after the attempts")
}

func TestDockerBadInputChangesNothing(t *testing.T) {
	w := newWorld(t)
	ws := ownedWorkspace(t)
	id := strings.TrimSpace(w.mustCLI("project", "create", "--workspace", ws, "--image", agentImage,
		"--mode", "restricted", "--domain", "github.com", "--port", "5173"))
	before := w.mustCLI("project", "show", id, "--json")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"domains", "add", id, "https://evil.example"}, `"https://evil.example"`},
		{[]string{"domains", "add", id, "github.com:443"}, "port"},
		{[]string{"domains", "add", id, "github.com/path"}, "path"},
		{[]string{"domains", "add", id, w.ip(15)}, "IP address"},
		{[]string{"domains", "add", id, "com"}, `"com"`},
		{[]string{"domains", "add", id, "co.uk"}, "public suffix"},
		{[]string{"domains", "add", id, "github.io"}, "public suffix"},
		{[]string{"domains", "add", id, "!co.uk"}, "public suffix"},
		{[]string{"domains", "add", id, "!!github.com"}, `"!!github.com"`},
		{[]string{"domains", "add", id, "amazonaws.com"}, "s3.amazonaws.com"},
		{[]string{"domains", "set", id, "github.com", "windows.net"}, "--allow-shared-suffixes"},
		{[]string{"domains", "set", id, "ok.example.org", "bad..name"}, `"bad..name"`},
		{[]string{"ports", "add", id, "0"}, `"0"`},
		{[]string{"ports", "add", id, "65536"}, `"65536"`},
		{[]string{"mode", id, "open"}, `"open"`},
		{[]string{"project", "create", "--workspace", "/no/such/folder", "--image", agentImage}, "/no/such/folder"},
		{[]string{"project", "create", "--workspace", ws, "--agent", "nobody"}, `"nobody"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, err := w.cli(tc.args...)
			require.Error(t, err, out)
			require.Contains(t, errOut, tc.want)
		})
	}
	require.JSONEq(t, before, w.mustCLI("project", "show", id, "--json"), "a refused edit changed the project")
	list := w.mustCLI("project", "ls", "--json")
	require.Equal(t, 1, strings.Count(list, `"id"`), "a refused create left a project behind: %s", list)
}
