package project

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestLimits(t *testing.T) {
	require.Equal(t, DefaultLimits(), Limits{}.Effective())
	require.Equal(t, Limits{PIDs: 64, MemoryMB: 4096, CPUs: 2}, Limits{PIDs: 64}.Effective())

	for _, tc := range []struct {
		name  string
		l     Limits
		field string
	}{
		{"too few pids", Limits{PIDs: 5}, "limits.pids"},
		{"negative memory", Limits{MemoryMB: -1}, "limits.memoryMB"},
		{"too little memory", Limits{MemoryMB: 10}, "limits.memoryMB"},
		{"no cpu", Limits{CPUs: 0.01}, "limits.cpus"},
		{"NaN cpus", Limits{CPUs: math.NaN()}, "limits.cpus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkLimits(tc.l)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field)
			require.Contains(t, fe.Message, "expect")
		})
	}
}

func TestPatchLimitsAndGitConfig(t *testing.T) {
	p := build(t, nil)
	require.False(t, p.GitConfigWritable, "protected unless asked")
	require.Equal(t, Limits{}, p.Limits, "the defaults")
	now := testNow.Add(time.Hour)
	next, err := p.Apply(Patch{Limits: &Limits{PIDs: 200, CPUs: 1.5}, GitConfigWritable: ptr(true)}, now)
	require.NoError(t, err)
	require.Equal(t, Limits{PIDs: 200, CPUs: 1.5}, next.Limits)
	require.True(t, next.GitConfigWritable)
	require.Equal(t, p.PolicyGen, next.PolicyGen, "not a policy change")
	require.Equal(t, now, next.UpdatedAt)

	_, err = p.Apply(Patch{Limits: &Limits{PIDs: 1}, GitConfigWritable: ptr(true)}, now)
	require.ErrorContains(t, err, "limits.pids")
}

func TestHostAccess(t *testing.T) {
	p := build(t, nil)
	require.Equal(t, shared.HostAll, p.HostAccess, "all by default")
	require.Equal(t, shared.HostAll, p.Policy().HostAccess)

	now := testNow.Add(time.Hour)
	next, err := p.Apply(Patch{HostAccess: ptr(shared.HostPorts), HostPorts: &[]int{5432, 3000}}, now)
	require.NoError(t, err)
	require.Equal(t, []int{3000, 5432}, next.HostPorts)
	require.Equal(t, p.PolicyGen+1, next.PolicyGen, "pushed live like the allowlist")
	require.Equal(t, shared.Policy{Mode: p.Mode, Domains: p.Domains, HostAccess: shared.HostPorts, HostPorts: []int{3000, 5432}}, next.Policy())

	none, err := next.Apply(Patch{HostAccess: ptr(shared.HostNone)}, now)
	require.NoError(t, err)
	require.Empty(t, none.HostPorts, "ports go with another access")

	stored := p
	stored.HostAccess = ""
	require.Equal(t, shared.HostAll, stored.Policy().HostAccess, "a project stored before the setting reaches every port")
	same, err := stored.Apply(Patch{HostAccess: ptr(shared.HostAll)}, now)
	require.NoError(t, err)
	require.Equal(t, stored.PolicyGen, same.PolicyGen, "empty and all are the same policy")

	for _, tc := range []struct {
		patch Patch
		field string
	}{
		{Patch{HostAccess: ptr(shared.HostAccess("some"))}, "hostAccess"},
		{Patch{HostAccess: ptr(shared.HostPorts)}, "hostPorts"},
		{Patch{HostAccess: ptr(shared.HostPorts), HostPorts: &[]int{70000}}, "hostPorts"},
		{Patch{HostAccess: ptr(shared.HostNone), HostPorts: &[]int{80}}, "hostPorts"},
	} {
		_, err := p.Apply(tc.patch, now)
		var fe *FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, tc.field, fe.Field)
	}
}

func TestPreviewCSPSwitch(t *testing.T) {
	p := build(t, nil)
	require.False(t, p.PreviewCSPOff, "on unless asked")
	now := testNow.Add(time.Hour)
	next, err := p.Apply(Patch{PreviewCSPOff: ptr(true)}, now)
	require.NoError(t, err)
	require.True(t, next.PreviewCSPOff)
	require.Equal(t, now, next.UpdatedAt)
	require.Equal(t, p.PolicyGen, next.PolicyGen, "not the sidecar's policy")
	same, err := next.Apply(Patch{Name: ptr(next.Name)}, now.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, same.PreviewCSPOff, "kept by other edits")
	require.Equal(t, now, same.UpdatedAt)
	back, err := next.Apply(Patch{PreviewCSPOff: ptr(false)}, now)
	require.NoError(t, err)
	require.False(t, back.PreviewCSPOff)
}
