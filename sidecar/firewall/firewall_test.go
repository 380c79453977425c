package firewall

import (
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func splitLines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func newFakeFirewall(t *testing.T, sys *fakeSystem) *Firewall {
	t.Helper()
	f, err := newWithSystem(testConfig(), testLogger(t), sys)
	require.NoError(t, err)
	f.compact.delay = time.Hour // tests compact by hand unless they say otherwise
	t.Cleanup(f.Close)
	return f
}

// freshState is what a namespace looks like after one Apply(mode).
func freshState(t *testing.T, mode shared.Mode) *fakeSystem {
	t.Helper()
	sys := newFakeSystem()
	require.NoError(t, newFakeFirewall(t, sys).Apply(mode))
	return sys
}

func TestNewFamilies(t *testing.T) {
	tests := []struct {
		name     string
		v6up     bool
		v6broken error
		wantV6   bool
		wantErr  string
	}{
		{"ipv6 up and usable", true, nil, true, ""},
		{"ipv6 down but usable", false, nil, true, ""},
		{"ipv6 down and unusable", false, errors.New("no ip6tables"), false, ""},
		{"ipv6 up and unusable", true, errors.New("no ip6tables"), false, "IPv6 is up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := newFakeSystem()
			sys.v6up, sys.v6broken = tt.v6up, tt.v6broken
			f, err := newWithSystem(testConfig(), testLogger(t), sys)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantV6, f.IPv6())
			require.NoError(t, f.Apply(shared.ModeNone))
			require.Equal(t, tt.wantV6, len(sys.rules(IPv6, "filter", chainOut)) > 0)
			require.Len(t, sys.rules(IPv4, "filter", chainOut), 1)
		})
	}
}

func TestApplyFirstWrite(t *testing.T) {
	for _, mode := range shared.Modes {
		t.Run(string(mode), func(t *testing.T) {
			sys := newFakeSystem()
			f := newFakeFirewall(t, sys)
			require.NoError(t, f.Apply(mode))
			for _, fam := range []Family{IPv4, IPv6} {
				var got []string
				for _, c := range sys.calls {
					if strings.Contains(c, fam.String()) || strings.HasPrefix(c, "set "+setName(f.cfg, fam)) {
						got = append(got, c)
					}
				}
				require.Equal(t, []string{
					"set " + setName(f.cfg, fam),
					"restore " + fam.String(),
					"list " + fam.String() + " filter OUTPUT",
					"insert " + fam.String() + " filter OUTPUT 1",
					"list " + fam.String() + " filter INPUT",
					"insert " + fam.String() + " filter INPUT 1",
					"list " + fam.String() + " nat OUTPUT",
					"insert " + fam.String() + " nat OUTPUT 1",
				}, got, "set first, chains filled before the jumps go in")
				require.Equal(t, "-A OUTPUT -j WARDEN-OUT", sys.rules(fam, "filter", "OUTPUT")[0])
				require.Equal(t, "-A INPUT -j WARDEN-IN", sys.rules(fam, "filter", "INPUT")[0])
				require.Equal(t, "-A OUTPUT -j WARDEN-DNS", sys.rules(fam, "nat", "OUTPUT")[0])
				require.Equal(t, []string{"-A WARDEN-OUT " + outDispatch(mode)}, sys.rules(fam, "filter", chainOut))
			}
		})
	}
}

func TestApplySameModeTwiceDoesNothing(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeRestricted))
	calls := len(sys.calls)
	require.NoError(t, f.Apply(shared.ModeRestricted))
	require.Len(t, sys.calls, calls, "no restore, no listing")
}

func TestApplySwitchOnlyInserts(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeNone))
	calls := len(sys.calls)

	require.NoError(t, f.Apply(shared.ModeRestricted))
	require.Equal(t, []string{"restore ipv4", "restore ipv6"}, sortedCalls(sys.calls[calls:]), "one restore per family, nothing else")
	for _, r := range sys.lastRestores(2) {
		require.Contains(t, r, "\n*filter\n-I WARDEN-OUT 1 -g WARDEN-OUT-RESTRICTED\nCOMMIT\n")
		require.NotContains(t, r, ":", "no chain is declared, so none is flushed")
	}
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, []string{"-A WARDEN-OUT -g WARDEN-OUT-RESTRICTED", "-A WARDEN-OUT -g WARDEN-OUT-NONE"},
			sys.rules(fam, "filter", chainOut), "new rule first, old one shadowed")
	}

	require.NoError(t, f.compactNow())
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, []string{"-A WARDEN-OUT -g WARDEN-OUT-RESTRICTED"}, sys.rules(fam, "filter", chainOut))
	}
}

func sortedCalls(calls []string) []string {
	out := append([]string(nil), calls...)
	if len(out) == 2 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// Any order of modes ends in the state a fresh Apply of the last one gives:
// at once for the rules that decide (the first dispatch rule and the mode
// chains), and entirely once shadowed rules are compacted.
func TestApplyStates(t *testing.T) {
	fresh := map[shared.Mode]*fakeSystem{}
	for _, m := range shared.Modes {
		fresh[m] = freshState(t, m)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 20 {
		sys := newFakeSystem()
		f := newFakeFirewall(t, sys)
		for step := range 8 {
			mode := shared.Modes[rng.IntN(len(shared.Modes))]
			require.NoError(t, f.Apply(mode))
			for _, fam := range []Family{IPv4, IPv6} {
				want := fresh[mode]
				require.Equal(t, want.rules(fam, "filter", chainOut)[0], sys.rules(fam, "filter", chainOut)[0], "run %d step %d", run, step)
				require.Equal(t, want.rules(fam, "nat", chainDNS)[0], sys.rules(fam, "nat", chainDNS)[0], "run %d step %d", run, step)
				for _, c := range []string{chainOutNone, chainOutRestricted, chainIn} {
					require.Equal(t, want.rules(fam, "filter", c), sys.rules(fam, "filter", c))
				}
			}
			if rng.IntN(3) == 0 {
				require.NoError(t, f.compactNow())
				for _, fam := range []Family{IPv4, IPv6} {
					require.Equal(t, fresh[mode].dump(fam), sys.dump(fam), "run %d step %d", run, step)
				}
			}
		}
	}
}

func TestApplyFallsBackToFullWrite(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeNone))
	sys.failRestore = func(_ Family, rules string) error {
		if strings.Contains(rules, "-I ") {
			return errors.New("chain vanished")
		}
		return nil
	}
	require.NoError(t, f.Apply(shared.ModeRestricted))
	want := freshState(t, shared.ModeRestricted)
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, want.dump(fam), sys.dump(fam))
	}
}

func TestApplyFailureThenRecovery(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeFull))
	sys.failRestore = func(fam Family, _ string) error {
		if fam == IPv6 {
			return errors.New("ip6tables-restore: line 3 failed")
		}
		return nil
	}
	err := f.Apply(shared.ModeNone)
	require.ErrorContains(t, err, "applying firewall rules for mode none")
	require.ErrorContains(t, err, "ipv6: ip6tables-restore: line 3 failed")

	sys.failRestore = nil
	calls := len(sys.restores)
	require.NoError(t, f.Apply(shared.ModeNone), "same mode again is not skipped after a failure")
	require.Greater(t, len(sys.restores), calls)
	want := freshState(t, shared.ModeNone)
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, want.dump(fam), sys.dump(fam))
	}
}

func TestApplyRefusesUnknownMode(t *testing.T) {
	f := newFakeFirewall(t, newFakeSystem())
	require.ErrorContains(t, f.Apply("open"), `unknown network mode "open"`)
}

func TestJumpsPlacedFirstExactlyOnce(t *testing.T) {
	sys := newFakeSystem()
	require.NoError(t, sys.restore(IPv4, "*nat\n:DOCKER_OUTPUT - [0:0]\n:WARDEN-DNS - [0:0]\n"+
		"-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT\n-A OUTPUT -j WARDEN-DNS\n-A OUTPUT -j WARDEN-DNS\nCOMMIT\n"+
		"*filter\n:WARDEN-OUT - [0:0]\n:WARDEN-IN - [0:0]\n-A WARDEN-OUT -j ACCEPT\n"+
		"-A OUTPUT -j WARDEN-OUT\n-A OUTPUT -j WARDEN-OUT\n-A INPUT -j ACCEPT\n-A INPUT -j WARDEN-IN\nCOMMIT\n"))
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeNone))

	require.Equal(t, []string{"-A OUTPUT -j WARDEN-DNS", "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT"}, sys.rules(IPv4, "nat", "OUTPUT"))
	require.Equal(t, []string{"-A OUTPUT -j WARDEN-OUT"}, sys.rules(IPv4, "filter", "OUTPUT"))
	require.Equal(t, []string{"-A INPUT -j WARDEN-IN", "-A INPUT -j ACCEPT"}, sys.rules(IPv4, "filter", "INPUT"))
	require.Equal(t, []string{"-A WARDEN-OUT -g WARDEN-OUT-NONE"}, sys.rules(IPv4, "filter", chainOut), "old contents replaced")
}

func TestCompactionRunsLater(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	f.compact.delay = 10 * time.Millisecond
	require.NoError(t, f.Apply(shared.ModeNone))
	require.NoError(t, f.Apply(shared.ModeFull))
	require.NoError(t, f.Apply(shared.ModeRestricted))
	require.Len(t, sys.rules(IPv4, "filter", chainOut), 3)
	require.Eventually(t, func() bool { return len(sys.rules(IPv4, "filter", chainOut)) == 1 }, 2*time.Second, 5*time.Millisecond)
	want := freshState(t, shared.ModeRestricted)
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, want.dump(fam), sys.dump(fam))
	}
}

func TestCompactionForcedWhenRulesPileUp(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	require.NoError(t, f.Apply(shared.ModeNone))
	modes := []shared.Mode{shared.ModeRestricted, shared.ModeNone}
	for i := range maxShadowed + 10 {
		require.NoError(t, f.Apply(modes[i%2]))
		require.LessOrEqual(t, len(sys.rules(IPv4, "filter", chainOut)), maxShadowed)
	}
}

func TestCloseStopsCompaction(t *testing.T) {
	sys := newFakeSystem()
	f := newFakeFirewall(t, sys)
	f.compact.delay = 10 * time.Millisecond
	require.NoError(t, f.Apply(shared.ModeNone))
	require.NoError(t, f.Apply(shared.ModeFull))
	f.Close()
	n := sys.restoreCount()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, n, sys.restoreCount())
	require.Len(t, sys.rules(IPv4, "filter", chainOut), 2, "rules stay as they were")
}
