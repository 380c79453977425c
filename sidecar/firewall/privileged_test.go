package firewall

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/nstest"
)

// nsSystem runs every call of the real system inside a test namespace. A
// command started on a thread inside a namespace runs in that namespace
// (TestPrivilegedExecFollowsThreadNamespace), so the iptables tools need no
// wrapping of their own.
type nsSystem struct {
	ns       *nstest.NS
	inner    system
	restores atomic.Int64
}

func (s *nsSystem) restore(fam Family, rules string) error {
	s.restores.Add(1)
	return s.ns.Do(func() error { return s.inner.restore(fam, rules) })
}

func (s *nsSystem) listRules(fam Family, table, chain string) (out []string, err error) {
	err = s.ns.Do(func() error { out, err = s.inner.listRules(fam, table, chain); return err })
	return out, err
}

func (s *nsSystem) insertRule(fam Family, table, chain string, pos int, spec ...string) error {
	return s.ns.Do(func() error { return s.inner.insertRule(fam, table, chain, pos, spec...) })
}

func (s *nsSystem) deleteRule(fam Family, table, chain string, pos int) error {
	return s.ns.Do(func() error { return s.inner.deleteRule(fam, table, chain, pos) })
}

func (s *nsSystem) ensureSet(name string, fam Family) error {
	return s.ns.Do(func() error { return s.inner.ensureSet(name, fam) })
}

func (s *nsSystem) ipv6Present() (up bool, err error) {
	err = s.ns.Do(func() error { up, err = s.inner.ipv6Present(); return err })
	return up, err
}

func (s *nsSystem) usable(fam Family) error {
	return s.ns.Do(func() error { return s.inner.usable(fam) })
}

func newNSFirewall(t testing.TB, ns *nstest.NS, cfg Config) (*Firewall, *nsSystem) {
	t.Helper()
	log := testLogger(t)
	if _, bench := t.(*testing.B); bench {
		log = discard()
	}
	sys := &nsSystem{ns: ns, inner: newOSSystem()}
	f, err := newWithSystem(cfg, log, sys)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f, sys
}

// saved reads iptables-save or ip6tables-save inside ns and returns, per
// table, the lines that declare or fill a Warden chain.
func saved(t testing.TB, ns *nstest.NS, fam Family) map[string][]string {
	t.Helper()
	out := ns.MustExec(t, toolName(fam)+"-save")
	return wardenLines(out)
}

func wardenLines(text string) map[string][]string {
	tables := map[string][]string{}
	table := ""
	for _, l := range splitLines(text) {
		switch {
		case strings.HasPrefix(l, "*"):
			table = l[1:]
		case strings.HasPrefix(l, ":WARDEN") || strings.HasPrefix(l, "-A WARDEN"):
			tables[table] = append(tables[table], l)
		}
	}
	return tables
}

// builtinRules returns the -A lines of a built-in chain as iptables -S prints them.
func builtinRules(t testing.TB, ns *nstest.NS, fam Family, table, chain string) []string {
	t.Helper()
	var rules []string
	for _, l := range splitLines(ns.MustExec(t, toolName(fam), "-t", table, "-S", chain)) {
		if strings.HasPrefix(l, "-A ") {
			rules = append(rules, l)
		}
	}
	return rules
}

func requireJumpsFirst(t testing.TB, ns *nstest.NS, fam Family) {
	t.Helper()
	for _, j := range jumps {
		rules := builtinRules(t, ns, fam, j.table, j.from)
		want := fmt.Sprintf("-A %s -j %s", j.from, j.to)
		require.NotEmpty(t, rules, "%s %s %s", fam, j.table, j.from)
		require.Equal(t, want, rules[0], "%s %s %s", fam, j.table, j.from)
		require.Equal(t, 1, strings.Count(strings.Join(rules, "\n")+"\n", want+"\n"), "%s %s %s", fam, j.table, j.from)
	}
}

func TestPrivilegedExecFollowsThreadNamespace(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "wfw")
	ns.MustExec(t, "ip", "link", "add", "wtest0", "type", "veth", "peer", "name", "wtest1")
	var out []byte
	require.NoError(t, ns.Do(func() (err error) {
		out, err = exec.Command("ip", "-o", "link", "show").CombinedOutput()
		return err
	}))
	require.Contains(t, string(out), "wtest0", "the child saw the namespace of the thread that started it")
}

func TestPrivilegedApplyModes(t *testing.T) {
	nstest.RequireRoot(t)
	for _, mode := range shared.Modes {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			ns := nstest.New(t, "wfw")
			f, _ := newNSFirewall(t, ns, testConfig())
			require.True(t, f.IPv6(), "::1 on lo counts as IPv6 present")
			require.NoError(t, f.Apply(mode))
			for _, fam := range []Family{IPv4, IPv6} {
				require.Equal(t, wardenLines(Rules(f.cfg, mode, fam)), saved(t, ns, fam), "%s: the kernel prints back exactly what was written", fam)
				requireJumpsFirst(t, ns, fam)
			}
			require.ElementsMatch(t, []string{"warden4", "warden6"}, splitLines(ns.MustExec(t, "ipset", "list", "-n")), "placeholder sets created")
		})
	}
}

func TestPrivilegedApplyTwiceChangesNothing(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "wfw")
	f, sys := newNSFirewall(t, ns, testConfig())
	require.NoError(t, f.Apply(shared.ModeRestricted))
	before := ns.MustExec(t, "iptables-save") + ns.MustExec(t, "ip6tables-save")
	restores := sys.restores.Load()
	require.NoError(t, f.Apply(shared.ModeRestricted))
	require.Equal(t, restores, sys.restores.Load(), "skipped")
	after := ns.MustExec(t, "iptables-save") + ns.MustExec(t, "ip6tables-save")
	require.Equal(t, stripComments(before), stripComments(after))
}

func stripComments(save string) string {
	var out []string
	for _, l := range splitLines(save) {
		if !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPrivilegedStates replays modes in shuffled orders (Tailscale's
// TestRouterStates): after every Apply the deciding rules equal a fresh
// apply's, and after compaction everything does.
func TestPrivilegedStates(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "wfw")
	f, _ := newNSFirewall(t, ns, testConfig())
	rng := rand.New(rand.NewPCG(7, 7))
	seq := []shared.Mode{shared.ModeNone}
	for range 12 {
		seq = append(seq, shared.Modes[rng.IntN(len(shared.Modes))])
	}
	for i, mode := range seq {
		require.NoError(t, f.Apply(mode), "step %d", i)
		for _, fam := range []Family{IPv4, IPv6} {
			want := wardenLines(Rules(f.cfg, mode, fam))
			got := saved(t, ns, fam)
			require.Equal(t, firstRule(want["filter"], chainOut), firstRule(got["filter"], chainOut), "step %d %s", i, fam)
			require.Equal(t, firstRule(want["nat"], chainDNS), firstRule(got["nat"], chainDNS), "step %d %s", i, fam)
			for _, c := range []string{chainIn, chainOutNone, chainOutRestricted} {
				require.Equal(t, chainRules(want["filter"], c), chainRules(got["filter"], c), "step %d %s %s", i, fam, c)
			}
			require.Equal(t, chainRules(want["nat"], chainDNSRedirect), chainRules(got["nat"], chainDNSRedirect))
		}
		if i%3 == 2 || i == len(seq)-1 {
			require.NoError(t, f.compactNow())
			for _, fam := range []Family{IPv4, IPv6} {
				require.Equal(t, wardenLines(Rules(f.cfg, mode, fam)), saved(t, ns, fam), "step %d %s after compaction", i, fam)
				requireJumpsFirst(t, ns, fam)
			}
		}
	}
}

func chainRules(lines []string, chain string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "-A "+chain+" ") {
			out = append(out, l)
		}
	}
	return out
}

func firstRule(lines []string, chain string) string {
	if r := chainRules(lines, chain); len(r) > 0 {
		return r[0]
	}
	return ""
}

// A namespace left by an earlier sidecar, with Docker's rules and stray
// copies of the jumps, ends up with the jumps first, once, and the Warden
// chains rewritten.
func TestPrivilegedTakesOverExistingRules(t *testing.T) {
	nstest.RequireRoot(t)
	ns := nstest.New(t, "wfw")
	ns.MustExec(t, "iptables", "-t", "nat", "-N", "DOCKER_OUTPUT")
	ns.MustExec(t, "iptables", "-t", "nat", "-A", "OUTPUT", "-d", "127.0.0.11/32", "-j", "DOCKER_OUTPUT")
	for _, fam := range []Family{IPv4, IPv6} {
		tool := toolName(fam)
		ns.MustExec(t, tool, "-N", chainOut)
		ns.MustExec(t, tool, "-A", chainOut, "-j", "ACCEPT")
		ns.MustExec(t, tool, "-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT")
		ns.MustExec(t, tool, "-A", "OUTPUT", "-j", chainOut)
		ns.MustExec(t, tool, "-A", "OUTPUT", "-j", chainOut)
	}
	f, _ := newNSFirewall(t, ns, testConfig())
	require.NoError(t, f.Apply(shared.ModeNone))
	for _, fam := range []Family{IPv4, IPv6} {
		require.Equal(t, wardenLines(Rules(f.cfg, shared.ModeNone, fam)), saved(t, ns, fam))
		requireJumpsFirst(t, ns, fam)
		require.Equal(t, []string{"-A OUTPUT -j WARDEN-OUT", "-A OUTPUT -o lo -j ACCEPT"}, builtinRules(t, ns, fam, "filter", "OUTPUT"))
	}
	require.Equal(t, []string{"-A OUTPUT -j WARDEN-DNS", "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT"}, builtinRules(t, ns, IPv4, "nat", "OUTPUT"))
}
