package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPIDList(t *testing.T) {
	var p pidList
	require.NoError(t, p.Set("12,34"))
	require.NoError(t, p.Set("56"))
	require.Equal(t, pidList{12, 34, 56}, p)
	require.Error(t, p.Set("x"))
	require.Error(t, p.Set("-1"))
}

func TestRSS(t *testing.T) {
	one, err := rssKB([]int{os.Getpid()})
	require.NoError(t, err)
	require.Positive(t, one)
	two, err := rssKB([]int{os.Getpid(), os.Getpid()})
	require.NoError(t, err)
	require.InDelta(t, 2*one, two, float64(one)/2)
	_, err = rssKB([]int{1 << 30})
	require.Error(t, err)
}
