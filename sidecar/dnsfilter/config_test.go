package dnsfilter

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantErr string
	}{
		{name: "default", mutate: func(c *Config) {}},
		{name: "no listen address", mutate: func(c *Config) { c.Listen = nil }, wantErr: "no listen address"},
		{name: "no upstream", mutate: func(c *Config) { c.Upstreams = nil }, wantErr: "no upstream resolver"},
		{name: "upstream without port", mutate: func(c *Config) { c.Upstreams = []string{"127.0.0.11"} }, wantErr: `upstream "127.0.0.11": expect ip:port`},
		{name: "upstream by name", mutate: func(c *Config) { c.Upstreams = []string{"dns.google:53"} }, wantErr: `upstream "dns.google:53"`},
		{name: "upstream port 0", mutate: func(c *Config) { c.Upstreams = []string{"127.0.0.11:0"} }, wantErr: "port 0"},
		{name: "bad listen", mutate: func(c *Config) { c.Listen = []string{"localhost:53"} }, wantErr: `listen address "localhost:53"`},
		{name: "zoned listen", mutate: func(c *Config) { c.Listen = []string{"[fe80::1%eth0]:53"} }, wantErr: "zoned"},
		{name: "zero timeout", mutate: func(c *Config) { c.Timeout = 0 }, wantErr: "upstream timeout 0s"},
		{name: "invalid gateway", mutate: func(c *Config) { c.HostGateways = []netip.Addr{{}} }, wantErr: "host gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			_, err := c.parse()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	require.Equal(t, []string{"127.0.0.1:53", "[::1]:53"}, c.Listen)
	require.Equal(t, []string{"127.0.0.11:53"}, c.Upstreams)
	require.Equal(t, uint32(0x5744), c.Mark)
	require.Equal(t, 2*time.Second, c.Timeout)
}

func TestNewRefusesBadInput(t *testing.T) {
	_, err := New(DefaultConfig(), nil, nil, nil)
	require.ErrorContains(t, err, "no Adder")
	c := DefaultConfig()
	c.Upstreams = nil
	_, err = New(c, &fakeAdder{}, nil, nil)
	require.ErrorContains(t, err, "creating DNS filter: no upstream")
}
