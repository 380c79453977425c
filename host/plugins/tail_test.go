package plugins

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTail(t *testing.T) {
	tl := newTail(2, 8)
	_, _ = tl.Write([]byte("one\ntwo\nthree is long"))
	require.Equal(t, "two | three is", tl.String())
	_, _ = tl.Write([]byte(" and longer\nfour\n"))
	require.Equal(t, "three is | four", tl.String())

	tl = newTail(2, 64)
	_, _ = tl.Write([]byte("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:1\n"))
	require.Equal(t, "panic: boom", tl.String(), "the cause, not the stack")
	require.Empty(t, newTail(2, 8).String())

	tl = newTail(4, 256)
	_, _ = tl.Write([]byte(`{"@level":"debug","@message":"plugin address","network":"unix"}` + "\n" +
		`{"@level":"error","@message":"plugin init error","error":"no socket"}` + "\n"))
	require.Equal(t, "plugin init error: no socket", tl.String(), "go-plugin's chatter dropped, its errors kept")
	require.False(t, strings.Contains(tl.String(), "\n"))
}
