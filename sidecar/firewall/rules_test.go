package firewall

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.HostGateways = []netip.Addr{netip.MustParseAddr("172.17.0.1"), netip.MustParseAddr("fd00::1")}
	return cfg
}

const wantV4Restricted = `*filter
:WARDEN-HOST - [0:0]
:WARDEN-IN - [0:0]
:WARDEN-OUT - [0:0]
:WARDEN-OUT-FULL - [0:0]
:WARDEN-OUT-NONE - [0:0]
:WARDEN-OUT-RESTRICTED - [0:0]
-A WARDEN-HOST -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-HOST -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-HOST -j ACCEPT
-A WARDEN-IN -i lo -j ACCEPT
-A WARDEN-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-IN -s 172.17.0.1/32 -j ACCEPT
-A WARDEN-IN -j DROP
-A WARDEN-OUT -g WARDEN-OUT-RESTRICTED
-A WARDEN-OUT-FULL -d 172.17.0.1/32 -g WARDEN-HOST
-A WARDEN-OUT-NONE -d 127.0.0.11/32 -m mark ! --mark 0x5744 -j REJECT --reject-with icmp-port-unreachable
-A WARDEN-OUT-NONE -s 127.0.0.11/32 -m mark ! --mark 0x5744 -m conntrack ! --ctstate RELATED,ESTABLISHED -j REJECT --reject-with icmp-port-unreachable
-A WARDEN-OUT-NONE -o lo -j ACCEPT
-A WARDEN-OUT-NONE -d 127.0.0.1/32 -p udp -m udp --dport 53 -j ACCEPT
-A WARDEN-OUT-NONE -d 127.0.0.1/32 -p tcp -m tcp --dport 53 -j ACCEPT
-A WARDEN-OUT-NONE -p tcp -m connmark --mark 0x100000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -p tcp -m connmark --mark 0x300000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-OUT-NONE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-OUT-NONE -d 172.17.0.1/32 -g WARDEN-HOST
-A WARDEN-OUT-NONE -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-OUT-NONE -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -j REJECT --reject-with icmp-port-unreachable
-A WARDEN-OUT-RESTRICTED -d 127.0.0.11/32 -m mark ! --mark 0x5744 -j REJECT --reject-with icmp-port-unreachable
-A WARDEN-OUT-RESTRICTED -s 127.0.0.11/32 -m mark ! --mark 0x5744 -m conntrack ! --ctstate RELATED,ESTABLISHED -j REJECT --reject-with icmp-port-unreachable
-A WARDEN-OUT-RESTRICTED -o lo -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d 127.0.0.1/32 -p udp -m udp --dport 53 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d 127.0.0.1/32 -p tcp -m tcp --dport 53 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x200000/0x700000 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x200000/0x700000 -j CONNMARK --save-mark --nfmask 0x700000 --ctmask 0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x200000/0x700000 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x300000/0x700000 -j CONNMARK --save-mark --nfmask 0x700000 --ctmask 0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x300000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x100000/0x700000 -j NFQUEUE --queue-num 5744
-A WARDEN-OUT-RESTRICTED -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d 172.17.0.1/32 -g WARDEN-HOST
-A WARDEN-OUT-RESTRICTED -p tcp -m set --match-set warden4 dst -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100000/0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m set --match-set warden4 dst -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j NFQUEUE --queue-num 5744
-A WARDEN-OUT-RESTRICTED -p icmp -m set --match-set warden4 dst -j ACCEPT
-A WARDEN-OUT-RESTRICTED -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-OUT-RESTRICTED -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-RESTRICTED -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:WARDEN-DNS - [0:0]
:WARDEN-DNS-REDIRECT - [0:0]
-A WARDEN-DNS -g WARDEN-DNS-REDIRECT
-A WARDEN-DNS-REDIRECT -m mark --mark 0x5744 -j RETURN
-A WARDEN-DNS-REDIRECT -p udp -m udp --dport 53 -j REDIRECT --to-ports 53
-A WARDEN-DNS-REDIRECT -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 53
COMMIT
`

const wantV6Full = `*filter
:WARDEN-HOST - [0:0]
:WARDEN-IN - [0:0]
:WARDEN-OUT - [0:0]
:WARDEN-OUT-FULL - [0:0]
:WARDEN-OUT-NONE - [0:0]
:WARDEN-OUT-RESTRICTED - [0:0]
-A WARDEN-HOST -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-HOST -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-HOST -j ACCEPT
-A WARDEN-IN -i lo -j ACCEPT
-A WARDEN-IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-IN -s fd00::1/128 -j ACCEPT
-A WARDEN-IN -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-IN -p ipv6-icmp -m icmp6 --icmpv6-type 134 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-IN -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-IN -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-IN -j DROP
-A WARDEN-OUT -g WARDEN-OUT-FULL
-A WARDEN-OUT-FULL -d fd00::1/128 -g WARDEN-HOST
-A WARDEN-OUT-NONE -o lo -j ACCEPT
-A WARDEN-OUT-NONE -d ::1/128 -p udp -m udp --dport 53 -j ACCEPT
-A WARDEN-OUT-NONE -d ::1/128 -p tcp -m tcp --dport 53 -j ACCEPT
-A WARDEN-OUT-NONE -p tcp -m connmark --mark 0x100000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -p tcp -m connmark --mark 0x300000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-OUT-NONE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-OUT-NONE -d fd00::1/128 -g WARDEN-HOST
-A WARDEN-OUT-NONE -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-NONE -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-OUT-NONE -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-NONE -j REJECT --reject-with icmp6-port-unreachable
-A WARDEN-OUT-RESTRICTED -o lo -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d ::1/128 -p udp -m udp --dport 53 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d ::1/128 -p tcp -m tcp --dport 53 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x200000/0x700000 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x200000/0x700000 -j CONNMARK --save-mark --nfmask 0x700000 --ctmask 0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x200000/0x700000 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m mark --mark 0x300000/0x700000 -j CONNMARK --save-mark --nfmask 0x700000 --ctmask 0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x300000/0x700000 -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-RESTRICTED -p tcp -m connmark --mark 0x100000/0x700000 -j NFQUEUE --queue-num 5744
-A WARDEN-OUT-RESTRICTED -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d fd00::1/128 -g WARDEN-HOST
-A WARDEN-OUT-RESTRICTED -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d fe80::/10 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 133 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type 136 -m hl --hl-eq 255 -j ACCEPT
-A WARDEN-OUT-RESTRICTED -p tcp -m set --match-set warden6 dst -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x100000/0x700000
-A WARDEN-OUT-RESTRICTED -p tcp -m set --match-set warden6 dst -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j NFQUEUE --queue-num 5744
-A WARDEN-OUT-RESTRICTED -p ipv6-icmp -m set --match-set warden6 dst -j ACCEPT
-A WARDEN-OUT-RESTRICTED -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-OUT-RESTRICTED -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-OUT-RESTRICTED -j REJECT --reject-with icmp6-port-unreachable
COMMIT
*nat
:WARDEN-DNS - [0:0]
:WARDEN-DNS-REDIRECT - [0:0]
-A WARDEN-DNS -j RETURN
-A WARDEN-DNS-REDIRECT -m mark --mark 0x5744 -j RETURN
-A WARDEN-DNS-REDIRECT -p udp -m udp --dport 53 -j REDIRECT --to-ports 53
-A WARDEN-DNS-REDIRECT -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 53
COMMIT
`

func TestRulesText(t *testing.T) {
	cfg, err := testConfig().normalize()
	require.NoError(t, err)
	t.Run("ipv4 restricted", func(t *testing.T) {
		require.Equal(t, wantV4Restricted, Rules(cfg, shared.ModeRestricted, IPv4))
	})
	t.Run("ipv6 full", func(t *testing.T) {
		require.Equal(t, wantV6Full, Rules(cfg, shared.ModeFull, IPv6))
	})
}

// The mode only picks the dispatch rules; the mode chains are the same text
// whatever the mode, so a switch never has to rewrite them.
func TestRulesDispatch(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		mode     shared.Mode
		out, dns string
	}{
		{shared.ModeFull, "-A WARDEN-OUT -g WARDEN-OUT-FULL", "-A WARDEN-DNS -j RETURN"},
		{shared.ModeRestricted, "-A WARDEN-OUT -g WARDEN-OUT-RESTRICTED", "-A WARDEN-DNS -g WARDEN-DNS-REDIRECT"},
		{shared.ModeNone, "-A WARDEN-OUT -g WARDEN-OUT-NONE", "-A WARDEN-DNS -g WARDEN-DNS-REDIRECT"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			for _, fam := range []Family{IPv4, IPv6} {
				text := Rules(cfg, tt.mode, fam)
				require.Contains(t, text, "\n"+tt.out+"\n")
				require.Contains(t, text, "\n"+tt.dns+"\n")
				require.Equal(t, 1, countLines(text, "-A WARDEN-OUT "), "one dispatch rule")
				require.Equal(t, 1, countLines(text, "-A WARDEN-DNS "), "one dispatch rule")
			}
		})
	}
}

func countLines(text, prefix string) int {
	n := 0
	for _, l := range splitLines(text) {
		if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

func TestRulesFamilies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HostGateways = []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("fe80::1%eth0")}
	cfg, err := cfg.normalize()
	require.NoError(t, err)

	v4 := Rules(cfg, shared.ModeNone, IPv4)
	require.Contains(t, v4, "-A WARDEN-OUT-NONE -d 10.0.0.1/32 -g WARDEN-HOST\n", "mapped gateway written as IPv4")
	require.Contains(t, v4, "-A WARDEN-IN -s 10.0.0.1/32 -j ACCEPT\n")
	require.Contains(t, v4, "127.0.0.11", "Docker's resolver is an IPv4 address")
	require.NotContains(t, v4, "fe80")
	require.NotContains(t, v4, "icmp6")

	v6 := Rules(cfg, shared.ModeNone, IPv6)
	require.Contains(t, v6, "-A WARDEN-OUT-NONE -d fe80::1/128 -g WARDEN-HOST\n", "zone dropped")
	require.NotContains(t, v6, "10.0.0.1")
	require.NotContains(t, v6, "127.0.0.11")
	require.NotContains(t, v6, "warden4")
}

func TestSwitchRules(t *testing.T) {
	tests := []struct {
		from, to shared.Mode
		want     string
	}{
		{shared.ModeNone, shared.ModeRestricted, "*filter\n-I WARDEN-OUT 1 -g WARDEN-OUT-RESTRICTED\nCOMMIT\n"},
		{shared.ModeRestricted, shared.ModeNone, "*filter\n-I WARDEN-OUT 1 -g WARDEN-OUT-NONE\nCOMMIT\n"},
		{shared.ModeNone, shared.ModeFull, "*filter\n-I WARDEN-OUT 1 -g WARDEN-OUT-FULL\nCOMMIT\n*nat\n-I WARDEN-DNS 1 -j RETURN\nCOMMIT\n"},
		{shared.ModeFull, shared.ModeRestricted, "*filter\n-I WARDEN-OUT 1 -g WARDEN-OUT-RESTRICTED\nCOMMIT\n*nat\n-I WARDEN-DNS 1 -g WARDEN-DNS-REDIRECT\nCOMMIT\n"},
		{shared.ModeFull, shared.ModeFull, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+" to "+string(tt.to), func(t *testing.T) {
			require.Equal(t, tt.want, switchRules(tt.from, tt.to))
		})
	}
}

func TestCompactRules(t *testing.T) {
	require.Equal(t, "*filter\n:WARDEN-OUT - [0:0]\n-A WARDEN-OUT -g WARDEN-OUT-NONE\nCOMMIT\n"+
		"*nat\n:WARDEN-DNS - [0:0]\n-A WARDEN-DNS -g WARDEN-DNS-REDIRECT\nCOMMIT\n", compactRules(shared.ModeNone))
}

func TestConfigRefused(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"zero mark", func(c *Config) { c.Mark = 0 }, "mark 0"},
		{"zero port", func(c *Config) { c.DNSPort = 0 }, "DNS port 0"},
		{"empty set", func(c *Config) { c.SetV6 = "" }, `set name ""`},
		{"long set", func(c *Config) { c.SetV4 = "a-name-much-too-long-for-the-kernel" }, "set name"},
		{"bad gateway", func(c *Config) { c.HostGateways = []netip.Addr{{}} }, "host gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.change(&cfg)
			_, err := newWithSystem(cfg, discard(), newFakeSystem())
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestHostRules(t *testing.T) {
	cfg := testConfig()
	cfg.HostClosedPorts = []int{8090}
	for _, tc := range []struct {
		access shared.HostAccess
		ports  []int
		want   string
	}{
		{shared.HostAll, nil, `-A WARDEN-HOST -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-HOST -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j REJECT --reject-with tcp-reset
-A WARDEN-HOST -j ACCEPT
`},
		{shared.HostPorts, []int{5432, 3000}, `-A WARDEN-HOST -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-HOST -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j REJECT --reject-with tcp-reset
-A WARDEN-HOST -p tcp -m multiport --dports 3000,5432 -j ACCEPT
-A WARDEN-HOST -p udp -m multiport --dports 3000,5432 -j ACCEPT
-A WARDEN-HOST -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-HOST -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-HOST -j REJECT --reject-with icmp-port-unreachable
`},
		{shared.HostNone, nil, `-A WARDEN-HOST -m mark --mark 0x5744 -j ACCEPT
-A WARDEN-HOST -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-HOST -p tcp -m multiport --dports 8090 -j REJECT --reject-with tcp-reset
-A WARDEN-HOST -m limit --limit 50/sec --limit-burst 100 -j NFLOG --nflog-prefix warden --nflog-group 44
-A WARDEN-HOST -p tcp -j REJECT --reject-with tcp-reset
-A WARDEN-HOST -j REJECT --reject-with icmp-port-unreachable
`},
	} {
		t.Run(string(tc.access), func(t *testing.T) {
			c := cfg
			c.HostAccess, c.HostPorts = tc.access, tc.ports
			c, err := c.normalize()
			require.NoError(t, err)
			var got string
			for _, l := range splitLines(Rules(c, shared.ModeRestricted, IPv4)) {
				if len(l) > 14 && l[:14] == "-A WARDEN-HOST" {
					got += l + "\n"
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHostPortsInChunks(t *testing.T) {
	ports := make([]int, 20)
	for i := range ports {
		ports[i] = 1000 + i
	}
	require.Equal(t, []string{
		"1000,1001,1002,1003,1004,1005,1006,1007,1008,1009,1010,1011,1012,1013,1014",
		"1015,1016,1017,1018,1019",
	}, chunks(ports))
}

func TestHostConfigRefusesBadPorts(t *testing.T) {
	cfg := testConfig()
	cfg.HostAccess, cfg.HostPorts = shared.HostPorts, []int{0}
	_, err := cfg.normalize()
	require.ErrorContains(t, err, "host port 0")
	cfg.HostAccess = "some"
	_, err = cfg.normalize()
	require.ErrorContains(t, err, `unknown host access "some"`)
}
