package addrset

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/nstest"
)

// newNSSets opens real sets in a test namespace. Init runs inside the
// namespace, so the netlink sockets are opened there; every later call uses
// those sockets and acts on that namespace from any thread.
func newNSSets(t testing.TB, ns *nstest.NS, cfg Config) *Sets {
	t.Helper()
	s := New(cfg, testLogger(t))
	require.NoError(t, ns.Do(s.Init))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var memberLine = regexp.MustCompile(`^(\S+) timeout (\d+)$`)

// members reads a set back with the ipset tool: address -> seconds left.
func members(t testing.TB, ns *nstest.NS, name string) map[string]int {
	t.Helper()
	out := ns.MustExec(t, "ipset", "list", name)
	_, list, _ := strings.Cut(out, "Members:\n")
	got := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
		if l == "" {
			continue
		}
		m := memberLine.FindStringSubmatch(l)
		require.NotNil(t, m, "member line %q", l)
		n, _ := strconv.Atoi(m[2])
		got[m[1]] = n
	}
	return got
}

func header(t testing.TB, ns *nstest.NS, name string) string {
	t.Helper()
	out := ns.MustExec(t, "ipset", "list", "-t", name)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Header: ") {
			return l
		}
	}
	t.Fatalf("no header in %q", out)
	return ""
}

func TestPrivilegedSets(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "was")
	s := newNSSets(t, ns, DefaultConfig())
	require.Contains(t, header(t, ns, "warden4"), "family inet ")
	require.Contains(t, header(t, ns, "warden4"), "maxelem 65536 timeout")
	require.Contains(t, header(t, ns, "warden6"), "family inet6 ")

	added, err := s.Add("a.example", addrs("192.0.2.10", "192.0.2.11", "2001:db8::10", "10.0.0.1"), 0)
	require.NoError(t, err)
	require.Equal(t, 3, added)
	_, err = s.Add("b.example", addrs("192.0.2.10", "192.0.2.12"), 600)
	require.NoError(t, err)

	v4 := members(t, ns, "warden4")
	require.Len(t, v4, 3)
	require.InDelta(t, 90, v4["192.0.2.11"], 2, "ttl 0 written with the floor's timeout, never 0")
	require.InDelta(t, 900, v4["192.0.2.10"], 2, "refreshed by the longer answer")
	require.Contains(t, members(t, ns, "warden6"), "2001:db8::10")

	require.NoError(t, s.Retain([]shared.Domain{"b.example"}))
	require.ElementsMatch(t, []string{"192.0.2.10", "192.0.2.12"}, mapKeys(members(t, ns, "warden4")), "shared address kept")
	require.Empty(t, members(t, ns, "warden6"))
	require.NoError(t, s.Retain([]shared.Domain{"b.example"}), "deleting what is gone is no error")

	st := s.Status()
	require.Equal(t, 2, st[0].Entries, "count read from the kernel")
	require.Equal(t, 0, st[1].Entries)

	require.NoError(t, s.Flush())
	require.Empty(t, members(t, ns, "warden4"))
}

func mapKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPrivilegedSetFull(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "was")
	cfg := DefaultConfig()
	cfg.MaxElem = 4
	s := newNSSets(t, ns, cfg)
	added, err := s.Add("a.example", addrs("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"), 300)
	require.ErrorIs(t, err, ErrSetFull, "the kernel's \"hash is full\" is recognised")
	require.Equal(t, 4, added)
	require.True(t, s.Status()[0].Full)
	require.NotEmpty(t, s.Problems())
}

// A set left in an unsuitable shape (no timeout support, another size) is
// replaced under the same name, and the firewall rule using it follows.
func TestPrivilegedInitReplacesUnsuitableSet(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "was")
	ns.MustExec(t, "ipset", "create", "warden4", "hash:ip", "maxelem", "1024")
	ns.MustExec(t, "ipset", "add", "warden4", "192.0.2.99")
	ns.MustExec(t, "iptables", "-A", "OUTPUT", "-m", "set", "--match-set", "warden4", "dst", "-j", "ACCEPT")

	s := newNSSets(t, ns, DefaultConfig())
	require.Contains(t, header(t, ns, "warden4"), "maxelem 65536 timeout")
	require.Empty(t, members(t, ns, "warden4"))
	require.NotContains(t, ns.MustExec(t, "ipset", "list", "-n"), "swap")
	require.Contains(t, ns.MustExec(t, "iptables", "-S", "OUTPUT"), "--match-set warden4 dst")
	_, err := s.Add("a.example", addrs("192.0.2.1"), 300)
	require.NoError(t, err)
	require.Contains(t, members(t, ns, "warden4"), "192.0.2.1")
}

// The firewall may have created the sets first with its own default timeout;
// Init keeps such a set (same type, family and size) as it is.
func TestPrivilegedInitKeepsCompatibleSet(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "was")
	ns.MustExec(t, "ipset", "create", "warden4", "hash:ip", "timeout", "7")
	ns.MustExec(t, "iptables", "-A", "OUTPUT", "-m", "set", "--match-set", "warden4", "dst", "-j", "ACCEPT")
	s := newNSSets(t, ns, DefaultConfig())
	require.Contains(t, header(t, ns, "warden4"), "timeout 7", "kept, not replaced")
	_, err := s.Add("a.example", addrs("192.0.2.1"), 300)
	require.NoError(t, err)
	require.InDelta(t, 450, members(t, ns, "warden4")["192.0.2.1"], 2, "each add carries its own timeout")
}

// The reason for the floor: ipset keeps an entry added with timeout 0 forever.
func TestPrivilegedKernelTimeoutZeroIsPermanent(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "was")
	ns.MustExec(t, "ipset", "create", "t", "hash:ip", "timeout", "60")
	ns.MustExec(t, "ipset", "add", "t", "192.0.2.1", "timeout", "0")
	require.Contains(t, ns.MustExec(t, "ipset", "list", "t"), "192.0.2.1 timeout 0")
}

// BenchmarkPrivilegedSetAdd measures Add against the kernel in a namespace:
// "new" adds a fresh address per op (one netlink round trip), "repeat"
// repeats an answer already in the set (no kernel call).
func BenchmarkPrivilegedSetAdd(b *testing.B) {
	nstest.RequireRoot(b)
	cfg := DefaultConfig()
	cfg.MaxElem = 1 << 24
	cfg.PerNameCap = 1 << 30
	b.Run("new", func(b *testing.B) {
		s := newNSSets(b, nstest.New(b, "wasb"), cfg)
		i := uint32(0)
		for b.Loop() {
			i++
			a := netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)})
			if _, err := s.Add("bench.example", []netip.Addr{a}, 300); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("repeat", func(b *testing.B) {
		s := newNSSets(b, nstest.New(b, "wasb"), cfg)
		answer := addrs("192.0.2.1", "192.0.2.2", "2001:db8::1")
		if _, err := s.Add("bench.example", answer, 300); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.Add("bench.example", answer, 300); err != nil {
				b.Fatal(err)
			}
		}
	})
}
