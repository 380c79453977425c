package firewall

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/nstest"
)

// BenchmarkPrivilegedApply measures Apply in a namespace: "switch" alternates
// restricted and none (the path a policy change takes), "full" rewrites
// every chain (the first Apply of a process).
func BenchmarkPrivilegedApply(b *testing.B) {
	nstest.RequireRoot(b)
	b.Run("switch", func(b *testing.B) {
		ns := nstest.New(b, "wfwb")
		f, _ := newNSFirewall(b, ns, testConfig())
		require.NoError(b, f.Apply(shared.ModeNone))
		modes := []shared.Mode{shared.ModeRestricted, shared.ModeNone}
		i := 0
		for b.Loop() {
			if err := f.Apply(modes[i%2]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("full", func(b *testing.B) {
		ns := nstest.New(b, "wfwb")
		f, _ := newNSFirewall(b, ns, testConfig())
		require.NoError(b, f.Apply(shared.ModeNone))
		modes := []shared.Mode{shared.ModeRestricted, shared.ModeNone}
		i := 0
		for b.Loop() {
			f.mu.Lock()
			f.synced = false
			f.mu.Unlock()
			if err := f.Apply(modes[i%2]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
