package project

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
