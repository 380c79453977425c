package addrset

import (
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func testLogger(t testing.TB) *slog.Logger {
	if _, bench := t.(*testing.B); bench {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

type fixture struct {
	sets  *Sets
	k     *fakeKernel
	clock *clock
}

func newFixture(t *testing.T, change func(*Config)) fixture {
	t.Helper()
	cfg := DefaultConfig()
	if change != nil {
		change(&cfg)
	}
	c := newClock()
	k := newFakeKernel(c.now)
	s := newWithKernel(cfg, testLogger(t), k, c.now)
	require.NoError(t, s.Init())
	return fixture{sets: s, k: k, clock: c}
}

func (f fixture) v4() map[netip.Addr]fakeEntry { return f.k.members("warden4") }
func (f fixture) v6() map[netip.Addr]fakeEntry { return f.k.members("warden6") }

func TestTimeouts(t *testing.T) {
	tests := []struct {
		name          string
		floor, top    time.Duration
		ttl           uint32
		life, timeout time.Duration
	}{
		{"ttl 0 gets the floor", 60 * time.Second, 24 * time.Hour, 0, 60 * time.Second, 90 * time.Second},
		{"short ttl gets the floor", 60 * time.Second, 24 * time.Hour, 5, 60 * time.Second, 90 * time.Second},
		{"ttl in range", 60 * time.Second, 24 * time.Hour, 300, 300 * time.Second, 450 * time.Second},
		{"headroom stops at the max", 60 * time.Second, 24 * time.Hour, 80000, 80000 * time.Second, 24 * time.Hour},
		{"long ttl clamped to max", 60 * time.Second, 24 * time.Hour, 1 << 31, 24 * time.Hour, 24 * time.Hour},
		{"zero floor still gives a timeout", 0, 24 * time.Hour, 0, time.Second, 2 * time.Second},
		{"fractional floor rounds up", 1500 * time.Millisecond, time.Hour, 0, 2 * time.Second, 3 * time.Second},
		{"max below floor", time.Minute, time.Second, 0, time.Minute, time.Minute},
		{"beyond what ipset accepts", time.Second, 100 * 24 * time.Hour, 1 << 31, maxKernelTimeout * time.Second, maxKernelTimeout * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{TTLFloor: tt.floor, TTLMax: tt.top}
			life := cfg.lifetime(tt.ttl)
			require.Equal(t, tt.life, life)
			require.Equal(t, tt.timeout, cfg.kernelTimeout(life))
		})
	}
}

func TestAddWritesTimeouts(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.sets.Add("zero.example", addrs("192.0.2.1"), 0)
	require.NoError(t, err)
	_, err = f.sets.Add("long.example", addrs("192.0.2.2"), 1<<31)
	require.NoError(t, err)
	require.Equal(t, uint32(90), f.v4()[netip.MustParseAddr("192.0.2.1")].timeout, "ttl 0 never becomes 0, which ipset would keep forever")
	require.Equal(t, uint32(86400), f.v4()[netip.MustParseAddr("192.0.2.2")].timeout, "clamped to TTLMax")
}

func TestAddFiltersAddresses(t *testing.T) {
	tests := []struct {
		name   string
		ipv6   bool
		in     []string
		added  int
		v4, v6 []string
	}{
		{"public of both families", true, []string{"192.0.2.1", "2001:db8::1"}, 2, []string{"192.0.2.1"}, []string{"2001:db8::1"}},
		{"private ones skipped", true, []string{"10.0.0.1", "169.254.169.254", "127.0.0.1", "fd00:ec2::254", "::1", "198.51.100.1"}, 1, []string{"198.51.100.1"}, nil},
		{"mapped form goes to the IPv4 set", true, []string{"::ffff:203.0.113.9"}, 1, []string{"203.0.113.9"}, nil},
		{"mapped private still skipped", true, []string{"::ffff:10.0.0.1"}, 0, nil, nil},
		{"duplicates counted once", true, []string{"192.0.2.1", "192.0.2.1"}, 1, []string{"192.0.2.1"}, nil},
		{"IPv6 off", false, []string{"2001:db8::1", "192.0.2.1"}, 1, []string{"192.0.2.1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.IPv6 = tt.ipv6 })
			added, err := f.sets.Add("example.com", addrs(tt.in...), 300)
			require.NoError(t, err)
			require.Equal(t, tt.added, added)
			require.ElementsMatch(t, addrs(tt.v4...), keys(f.v4()))
			require.ElementsMatch(t, addrs(tt.v6...), keys(f.v6()))
		})
	}
}

func keys(m map[netip.Addr]fakeEntry) []netip.Addr {
	out := []netip.Addr{}
	for a := range m {
		out = append(out, a)
	}
	return out
}

func TestAddHotPathSkipsKernel(t *testing.T) {
	f := newFixture(t, nil)
	a := addrs("192.0.2.1", "2001:db8::1")
	added, err := f.sets.Add("example.com", a, 300)
	require.NoError(t, err)
	require.Equal(t, 2, added)
	require.Equal(t, 2, f.k.addCalls())

	for range 100 {
		added, err = f.sets.Add("example.com", a, 300)
		require.NoError(t, err)
		require.Equal(t, 0, added)
	}
	require.Equal(t, 2, f.k.addCalls(), "repeated answers make no kernel call")

	_, err = f.sets.Add("other.example", a, 300)
	require.NoError(t, err)
	require.Equal(t, 2, f.k.addCalls(), "a second name holding the same address makes none either")

	f.clock.advance(150 * time.Second) // 300s left of the 450s kernel timeout: still covers a 300s answer
	_, err = f.sets.Add("example.com", a, 300)
	require.NoError(t, err)
	require.Equal(t, 2, f.k.addCalls())

	f.clock.advance(time.Second) // 299s left: no longer covers it
	added, err = f.sets.Add("example.com", a, 300)
	require.NoError(t, err)
	require.Equal(t, 0, added, "a refresh is not an addition")
	require.Equal(t, 4, f.k.addCalls())
	require.Equal(t, uint32(450), f.v4()[a[0]].timeout)

	_, err = f.sets.Add("example.com", a, 3600)
	require.NoError(t, err)
	require.Equal(t, 6, f.k.addCalls(), "a longer answer than the entry covers goes to the kernel")
}

// However answers and time interleave, after Add returns the kernel entry
// outlives the answer just given, so a client caching it never finds its
// address gone while the name is allowed.
func TestKernelEntryOutlivesEveryAnswer(t *testing.T) {
	f := newFixture(t, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	a := netip.MustParseAddr("192.0.2.1")
	ttls := []uint32{0, 1, 30, 60, 61, 299, 300, 3600, 86400, 1 << 30}
	for i := range 2000 {
		f.clock.advance(time.Duration(rng.IntN(400)) * time.Second)
		ttl := ttls[rng.IntN(len(ttls))]
		if rng.IntN(10) == 0 {
			f.sets.Prune(f.clock.now())
		}
		_, err := f.sets.Add(shared.Domain([]string{"a.example", "b.example"}[rng.IntN(2)]), []netip.Addr{a}, ttl)
		require.NoError(t, err)
		e, ok := f.v4()[a]
		require.True(t, ok, "step %d", i)
		require.False(t, e.until.Before(f.clock.now().Add(f.sets.cfg.lifetime(ttl))), "step %d ttl %d", i, ttl)
	}
}

func TestSharedAddressKeptUntilLastNameGoes(t *testing.T) {
	f := newFixture(t, nil)
	shared1, onlyA, onlyB := "192.0.2.10", "192.0.2.11", "192.0.2.12"
	_, err := f.sets.Add("a.example", addrs(shared1, onlyA), 300)
	require.NoError(t, err)
	_, err = f.sets.Add("b.example", addrs(shared1, onlyB), 300)
	require.NoError(t, err)

	require.NoError(t, f.sets.Retain([]shared.Domain{"b.example"}))
	require.ElementsMatch(t, addrs(shared1, onlyB), keys(f.v4()), "a.example's own address gone at once, the shared one kept")

	require.NoError(t, f.sets.Retain([]shared.Domain{"b.example"}))
	require.ElementsMatch(t, addrs(shared1, onlyB), keys(f.v4()), "retaining again changes nothing")

	require.NoError(t, f.sets.Retain(nil))
	require.Empty(t, f.v4())
}

func TestRetainRemovesAddressesWhoseHoldsExpired(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.sets.Add("a.example", addrs("192.0.2.1"), 60)
	require.NoError(t, err)
	f.clock.advance(61 * time.Second) // answer expired, kernel entry (90s) not yet
	f.sets.Prune(f.clock.now())
	require.Len(t, f.v4(), 1)

	require.NoError(t, f.sets.Retain([]shared.Domain{"a.example"}))
	require.Empty(t, f.v4(), "no one vouches for it any more")
}

func TestRetainReportsAndRetriesFailedDeletes(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.sets.Add("a.example", addrs("192.0.2.1"), 300)
	require.NoError(t, err)
	f.k.failDel = errors.New("netlink: no buffer space")
	require.ErrorContains(t, f.sets.Retain(nil), "no buffer space")
	require.Len(t, f.v4(), 1)
	f.k.failDel = nil
	require.NoError(t, f.sets.Retain(nil))
	require.Empty(t, f.v4())
}

func TestPerNameCap(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PerNameCap = 2 })
	_, err := f.sets.Add("a.example", addrs("192.0.2.1", "192.0.2.2"), 60)
	require.NoError(t, err)

	added, err := f.sets.Add("a.example", addrs("192.0.2.2", "192.0.2.3"), 60)
	require.ErrorIs(t, err, ErrNameCap)
	require.Equal(t, 0, added)
	require.Len(t, f.v4(), 2, "nothing of the refused answer was added")

	_, err = f.sets.Add("b.example", addrs("192.0.2.3"), 60)
	require.NoError(t, err, "the cap is per name")

	_, err = f.sets.Add("a.example", addrs("192.0.2.1", "192.0.2.2"), 60)
	require.NoError(t, err, "addresses it already holds do not count twice")

	f.clock.advance(61 * time.Second)
	_, err = f.sets.Add("a.example", addrs("192.0.2.4"), 60)
	require.NoError(t, err, "expired holds make room without waiting for Prune")
}

func TestSetFull(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxElem = 2 })
	added, err := f.sets.Add("a.example", addrs("192.0.2.1", "192.0.2.2", "192.0.2.3"), 300)
	require.ErrorIs(t, err, ErrSetFull)
	require.Equal(t, 2, added)

	st := f.sets.Status()
	require.Equal(t, shared.SetStatus{Name: "warden4", Family: "inet", Entries: 2, Max: 2, Full: true}, st[0])
	require.Equal(t, shared.SetStatus{Name: "warden6", Family: "inet6", Entries: 0, Max: 2, Full: false}, st[1])
	require.Len(t, f.sets.Problems(), 1)
	require.Contains(t, f.sets.Problems()[0], "warden4 is full")

	_, err = f.sets.Add("a.example", addrs("192.0.2.1"), 300)
	require.NoError(t, err, "addresses already in the set still refresh")

	require.NoError(t, f.sets.Retain(nil))
	require.Empty(t, f.sets.Problems())
	_, err = f.sets.Add("b.example", addrs("192.0.2.3"), 300)
	require.NoError(t, err)
	require.False(t, f.sets.Status()[0].Full)
}

func TestPrune(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.sets.Add("a.example", addrs("192.0.2.1"), 60)
	require.NoError(t, err)
	_, err = f.sets.Add("b.example", addrs("192.0.2.1"), 300)
	require.NoError(t, err)
	calls := f.k.addCalls()

	f.clock.advance(61 * time.Second)
	f.sets.Prune(f.clock.now())
	require.NoError(t, f.sets.Retain([]shared.Domain{"b.example"}))
	require.Len(t, f.v4(), 1, "still held by b.example")
	require.NoError(t, f.sets.Retain(nil))
	require.Empty(t, f.v4())

	_, err = f.sets.Add("a.example", addrs("192.0.2.2"), 60)
	require.NoError(t, err)
	f.clock.advance(91 * time.Second) // kernel entry expired too
	f.sets.Prune(f.clock.now())
	require.Empty(t, f.sets.addrs, "nothing tracked once the kernel has expired it")
	added, err := f.sets.Add("a.example", addrs("192.0.2.2"), 60)
	require.NoError(t, err)
	require.Equal(t, 1, added)
	require.Equal(t, calls+2, f.k.addCalls())
}

func TestInitAndFlush(t *testing.T) {
	for _, ipv6 := range []bool{true, false} {
		f := newFixture(t, func(c *Config) { c.IPv6 = ipv6 })
		_, ok := f.k.sets["warden6"]
		require.Equal(t, ipv6, ok)
		_, err := f.sets.Add("a.example", addrs("192.0.2.1", "2001:db8::1"), 300)
		require.NoError(t, err)
		require.NoError(t, f.sets.Flush())
		require.Empty(t, f.v4())
		require.Empty(t, f.v6())
		require.Empty(t, f.sets.addrs)
		require.Empty(t, f.sets.names)

		_, err = f.sets.Add("a.example", addrs("192.0.2.1"), 300)
		require.NoError(t, err)
		require.NoError(t, f.sets.Init(), "Init again empties the sets")
		require.Empty(t, f.v4())
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.PerNameCap = 1 << 20 })
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				a := netip.AddrFrom4([4]byte{198, 51, byte(g), byte(i)})
				if _, err := f.sets.Add(shared.Domain([]string{"a.example", "b.example"}[i%2]), []netip.Addr{a}, uint32(i)); err != nil {
					t.Error(err)
					return
				}
				switch i % 50 {
				case 0:
					if err := f.sets.Retain([]shared.Domain{"a.example"}); err != nil {
						t.Error(err)
					}
				case 25:
					f.sets.Prune(f.clock.now())
					_ = f.sets.Status()
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, f.sets.Retain([]shared.Domain{"a.example"}))
	for a := range f.v4() {
		require.Contains(t, f.sets.addrs[a].holders, shared.Domain("a.example"))
	}
}
