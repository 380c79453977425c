package dnsfilter

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestStart(t *testing.T) {
	up := newUpstream(t, testZone(t))

	t.Run("both families, UDP and TCP on one port", func(t *testing.T) {
		cfg := testConfig(up.addr)
		cfg.Listen = []string{"127.0.0.1:0", "[::1]:0"}
		s := startFilter(t, cfg, shared.ModeRestricted, "github.com")
		require.Len(t, s.f.bound, 2)
		for _, a := range s.f.bound {
			for _, network := range []string{"udp", "tcp"} {
				r := exchange(t, a.String(), network, query("github.com.", dns.TypeA))
				require.Equal(t, dns.RcodeSuccess, r.Rcode, "%s %s", network, a)
			}
		}
	})
	t.Run("address in use is an error", func(t *testing.T) {
		taken, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer taken.Close()
		cfg := testConfig(up.addr)
		cfg.Listen = []string{taken.LocalAddr().String()}
		f, err := New(cfg, &fakeAdder{}, nil, nil)
		require.NoError(t, err)
		defer f.Shutdown(t.Context())
		require.ErrorContains(t, f.Start(), "starting DNS filter on "+taken.LocalAddr().String())
	})
	t.Run("IPv6 address in use is an error too", func(t *testing.T) {
		taken, err := net.ListenPacket("udp", "[::1]:0")
		require.NoError(t, err)
		defer taken.Close()
		cfg := testConfig(up.addr)
		cfg.Listen = []string{"127.0.0.1:0", taken.LocalAddr().String()}
		f, err := New(cfg, &fakeAdder{}, nil, nil)
		require.NoError(t, err)
		defer f.Shutdown(t.Context())
		require.ErrorContains(t, f.Start(), "address already in use")
	})
	t.Run("started twice", func(t *testing.T) {
		s := startFilter(t, testConfig(up.addr), shared.ModeFull)
		require.ErrorContains(t, s.f.Start(), "already started")
	})
}

func TestShutdown(t *testing.T) {
	up := newUpstream(t, testZone(t))
	f, err := New(testConfig(up.addr), &fakeAdder{}, nil, nil)
	require.NoError(t, err)
	require.NoError(t, f.Start())
	addr := f.bound[0].String()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, f.Shutdown(ctx))
	c := dns.Client{Net: "tcp", Timeout: time.Second}
	_, _, err = c.Exchange(query("localhost.", dns.TypeA), addr)
	require.Error(t, err, "nothing listens after Shutdown")
	// The address is free again.
	pc, err := net.ListenPacket("udp", addr)
	require.NoError(t, err)
	require.NoError(t, pc.Close())
}
