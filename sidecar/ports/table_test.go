package ports

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func TestParseTable(t *testing.T) {
	v4 := header +
		"   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1002 1 0000000000000000 100 0 0 10 0\n" +
		"   2: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 1003 1 0000000000000000 20 4 30 10 -1\n"
	got, err := parseTable(strings.NewReader(v4), false)
	require.NoError(t, err)
	require.Equal(t, []socket{
		{netip.MustParseAddr("127.0.0.1"), 53, 1001},
		{netip.MustParseAddr("0.0.0.0"), 8000, 1002},
	}, got, "the established connection (state 01) is left out")

	v6 := header +
		"   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n" +
		"   1: 00000000000000000000000000000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2002 1 0000000000000000 100 0 0 10 0\n" +
		"   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2003 1 0000000000000000 100 0 0 10 0\n"
	got, err = parseTable(strings.NewReader(v6), true)
	require.NoError(t, err)
	require.Equal(t, []socket{
		{netip.MustParseAddr("::1"), 53, 2001},
		{netip.MustParseAddr("::"), 5173, 2002},
		{netip.MustParseAddr("2001:db8::1"), 80, 2003},
	}, got)
}

func TestParseTableRefusesGarbage(t *testing.T) {
	for name, line := range map[string]string{
		"few fields":   "0: 0100007F:0035 00000000:0000 0A\n",
		"short addr":   "0: 0100007:0035 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"not hex":      "0: 0100007G:0035 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"bad port":     "0: 0100007F:00G5 00000000:0000 0A 0:0 0:0 0 0 0 1 1\n",
		"bad inode":    "0: 0100007F:0035 00000000:0000 0A 0:0 0:0 0 0 0 x 1\n",
		"v6 in v4 tbl": "0: 00000000000000000000000001000000:0035 0:0 0A 0:0 0:0 0 0 0 1 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseTable(strings.NewReader(header+line), false)
			require.Error(t, err)
		})
	}
}

func TestGroup(t *testing.T) {
	a := netip.MustParseAddr
	got := group([]socket{
		{a("127.0.0.1"), 5173, 1},
		{a("::1"), 5173, 2},
		{a("0.0.0.0"), 8000, 3},
		{a("127.0.0.1"), 8000, 4},
		{a("127.0.0.1"), 53, 5}, // the sidecar's own
		{a("0.0.0.0"), 8000, 6}, // SO_REUSEPORT twin
	}, map[uint64]bool{5: true})
	require.Len(t, got, 2)
	require.Equal(t, 5173, got[0].Port)
	require.Equal(t, []string{"127.0.0.1", "::1"}, got[0].Addresses)
	require.True(t, got[0].LoopbackOnly)
	require.Equal(t, 8000, got[1].Port)
	require.Equal(t, []string{"0.0.0.0", "127.0.0.1"}, got[1].Addresses)
	require.False(t, got[1].LoopbackOnly)
}

func FuzzParseTable(f *testing.F) {
	f.Add(header+"   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1\n", false)
	f.Add(header+"   0: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 7 1\n", true)
	f.Add("", true)
	f.Fuzz(func(t *testing.T, text string, v6 bool) {
		socks, err := parseTable(strings.NewReader(text), v6)
		if err != nil {
			return
		}
		for _, s := range socks {
			if !s.addr.IsValid() || s.port < 0 || s.port > 65535 {
				t.Fatalf("parsed an impossible socket %+v", s)
			}
			if v6 != s.addr.Is6() && !s.addr.Is4() {
				t.Fatalf("address %s from the wrong table", s.addr)
			}
		}
	})
}
