package enforce

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// listenOnHost serves TCP on the host gateway's port, accepting and
// closing each connection.
func (w *World) listenOnHost(port int) {
	w.t.Helper()
	var ln net.Listener
	require.NoError(w.t, w.Inet.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(gw4, strconv.Itoa(port)))
		return err
	}))
	w.t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// reachHost reports whether the agent can open a TCP connection to the
// host gateway's port.
func (w *World) reachHost(port int) error {
	return w.Agent.Do(func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(gw4, strconv.Itoa(port)), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

func (w *World) hostPolicy(mode shared.Mode, access shared.HostAccess, ports ...int) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.Control.PutPolicy(ctx, shared.Policy{Mode: mode, Domains: []string{"github.com"}, HostAccess: access, HostPorts: ports})
	require.NoError(w.t, err)
	require.Empty(w.t, res.Error)
}

func TestPrivilegedHostAccessByPort(t *testing.T) {
	for _, mode := range shared.Modes {
		t.Run(string(mode), func(t *testing.T) {
			w := newWorld(t, mode, "github.com")
			w.listenOnHost(5432)
			w.listenOnHost(daemonPort)

			// all, the default: every port of the host, a relay included,
			// but never the daemon's.
			require.NoError(t, w.reachHost(7))
			require.NoError(t, w.reachHost(5432))
			require.Error(t, w.reachHost(daemonPort), "the daemon's port is closed in every setting")

			w.hostPolicy(mode, shared.HostPorts, 5432)
			require.NoError(t, w.reachHost(5432), "a listed port")
			require.Error(t, w.reachHost(7), "an unlisted port, refused at once")
			require.Error(t, w.reachHost(daemonPort))
			require.Error(t, w.dialUDP(gw4), "UDP to an unlisted port too")
			require.Eventually(t, func() bool {
				evs, err := w.Control.Events(context.Background(), 100)
				require.NoError(t, err)
				for _, e := range evs {
					if e.Kind == shared.EventConnRejected && e.Address == gw4 && e.Port == 7 {
						return true
					}
				}
				return false
			}, 3*time.Second, 20*time.Millisecond, "the refused host port is recorded with its port")

			w.hostPolicy(mode, shared.HostNone)
			require.Error(t, w.reachHost(5432))
			require.Error(t, w.reachHost(7))

			w.hostPolicy(mode, shared.HostAll)
			require.NoError(t, w.reachHost(7), "live, both ways")
			require.Error(t, w.reachHost(daemonPort))
		})
	}
}
