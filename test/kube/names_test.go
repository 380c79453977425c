package kube

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// TestKubeNameCheck is the shared-address attack of restricted mode on the
// cluster (the enforce suite's TestPrivilegedNameBinding, the Docker suite's
// TestDockerNameBinding): allowed.test is allowed, and its address also
// serves other.test, as a CDN's addresses serve every customer. The agent
// names other.test in a TLS ClientHello or an HTTP Host sent to that
// address. First the check is switched off (an ACCEPT for the set's
// addresses ahead of it, put in by the sidecar's own root) and the attack
// works; then it is refused before the server hears the name.
func TestKubeNameCheck(t *testing.T) {
	names := getExtras(t)
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)
	if r := e.probe(t, p.ID, "agent", "resolve", "allowed.test"); !r.OK {
		t.Fatalf("resolving allowed.test: %+v", r)
	}
	tlsAddr := podGateway + ":" + namesTLS
	plainURL := "http://" + podGateway + ":" + namesPlain + "/"

	t.Run("with the check switched off the address lets any name through", func(t *testing.T) {
		bypass := "-p tcp -m set --match-set warden4 dst -j ACCEPT"
		e.exec(t, p.ID, "sidecar", "sh", "-c", "iptables -I WARDEN-OUT-RESTRICTED 1 "+bypass)
		r := e.probe(t, p.ID, "agent", "tls", tlsAddr, "-sni", "other.test")
		h := e.probe(t, p.ID, "agent", "http", plainURL, "-host", "other.test")
		e.exec(t, p.ID, "sidecar", "sh", "-c", "iptables -D WARDEN-OUT-RESTRICTED "+bypass)
		require.True(t, r.OK, "TLS naming other.test: %+v", r)
		require.Equal(t, "hello other.test", r.Reply)
		require.True(t, h.OK, "HTTP naming other.test: %+v", h)
		require.Equal(t, "hello other.test", h.Reply)
	})

	t.Run("the allowed name passes", func(t *testing.T) {
		r := e.probe(t, p.ID, "agent", "tls", tlsAddr, "-sni", "allowed.test")
		require.True(t, r.OK, "%+v", r)
		require.Equal(t, "hello allowed.test", r.Reply)
		h := e.probe(t, p.ID, "agent", "http", plainURL, "-host", "ALLOWED.test")
		require.True(t, h.OK, "%+v", h)
		require.Equal(t, 200, h.Status)
	})

	t.Run("another name is refused before the server hears it", func(t *testing.T) {
		hellos, hosts := names.heard()
		for _, args := range [][]string{
			{"tls", tlsAddr, "-sni", "other.test"},
			{"tls", tlsAddr}, // no SNI at all
			{"http", plainURL, "-host", "other.test"},
			{"http", plainURL, "-host", "other.test:" + namesPlain},
			{"http", plainURL, "-host", podGateway},
		} {
			r := e.probe(t, p.ID, "agent", args...)
			require.False(t, r.OK, "%v got through: %+v", args, r)
			require.Contains(t, r.Error, "connection reset by peer", "%v", args)
		}
		newHellos, newHosts := names.heard()
		require.Equal(t, hellos, newHellos[:len(hellos)])
		for _, h := range newHellos[len(hellos):] {
			require.Equal(t, "allowed.test", h, "a refused ClientHello reached the server")
		}
		require.Empty(t, slices.DeleteFunc(newHosts[len(hosts):], func(h string) bool { return strings.EqualFold(h, "allowed.test") }),
			"a refused request reached the server")
	})

	t.Run("UDP to the allowed address is refused", func(t *testing.T) {
		r := e.probe(t, p.ID, "agent", "udp", podGateway+":7")
		require.False(t, r.OK, "%+v", r)
		require.True(t, e.probe(t, p.ID, "agent", "tcp", podGateway+":7", "-send", "hi").OK, "TCP to the same address and port passes")
	})

	t.Run("allowing the name opens it", func(t *testing.T) {
		e.putResult(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "other.test"}})
		r := e.probe(t, p.ID, "agent", "tls", tlsAddr, "-sni", "other.test")
		require.True(t, r.OK, "%+v", r)
		require.Equal(t, "hello other.test", r.Reply)
	})
}
