package termsession

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoRunner copies stdin to the terminal's output, reports each size it
// is given as "size RxC", and ends with the code in its input "exit N".
func echoRunner(sizes chan<- [2]uint) Runner {
	return func(ctx context.Context, stdin io.Reader, out io.Writer, resize <-chan [2]uint) (int, error) {
		go func() {
			for s := range resize {
				if sizes != nil {
					sizes <- s
				}
			}
		}()
		buf := make([]byte, 1024)
		for {
			n, err := stdin.Read(buf)
			if n > 0 {
				line := buf[:n]
				var code int
				if _, e := fmt.Sscanf(string(line), "exit %d", &code); e == nil {
					return code, nil
				}
				_, _ = out.Write(line)
			}
			if err != nil {
				return -1, err
			}
		}
	}
}

func collect(t *testing.T, c *Client, until string) string {
	t.Helper()
	var got bytes.Buffer
	for chunk := range c.Output() {
		got.Write(chunk)
		if bytes.Contains(got.Bytes(), []byte(until)) {
			return got.String()
		}
	}
	t.Fatalf("output ended before %q; got %q", until, got.String())
	return ""
}

func TestSessionOutlivesClientsAndReplaysScrollback(t *testing.T) {
	s := New(Config{Name: "shell-1", Kind: "shell"})
	go s.Run(context.Background(), echoRunner(nil))

	a, back := s.Attach()
	require.Empty(t, back)
	_, err := a.Write([]byte("first\n"))
	require.NoError(t, err)
	collect(t, a, "first\n")
	a.Detach()
	a.Detach() // twice is fine
	require.Equal(t, 0, s.Info().Clients)
	require.True(t, s.Info().Running)

	b, back := s.Attach()
	require.Equal(t, "first\n", string(back), "a new client gets what it missed")
	require.Equal(t, 1, s.Info().Clients)
	_, err = b.Write([]byte("second\n"))
	require.NoError(t, err)
	require.Equal(t, "second\n", collect(t, b, "second\n"), "then the live output, nothing repeated")

	_, err = b.Write([]byte("exit 7"))
	require.NoError(t, err)
	<-s.Done()
	_, ok := <-b.Output()
	require.False(t, ok, "the end of the session closes its clients")
	info := s.Info()
	require.False(t, info.Running)
	require.NotNil(t, info.ExitCode)
	require.Equal(t, 7, *info.ExitCode)

	_, err = b.Write([]byte("late"))
	require.ErrorIs(t, err, ErrEnded)
	c, back := s.Attach()
	require.Equal(t, "first\nsecond\n", string(back), "an ended session still shows its screen")
	_, ok = <-c.Output()
	require.False(t, ok)
}

func TestSessionDropsAClientThatFallsBehind(t *testing.T) {
	s := New(Config{Name: "s", ClientBuffer: 2})
	go s.Run(context.Background(), echoRunner(nil))
	slow, _ := s.Attach()
	fast, _ := s.Attach()
	for i := range 3 {
		_, err := fast.Write(fmt.Appendf(nil, "line %d\n", i))
		require.NoError(t, err)
		// fast reads; slow never does.
		collect(t, fast, fmt.Sprintf("line %d\n", i))
	}
	n := 0
	for range slow.Output() {
		n++
	}
	require.Equal(t, 2, n, "the slow client kept what fit, then was closed")
	require.True(t, slow.Dropped())
	require.False(t, fast.Dropped())
	require.Equal(t, 1, s.Info().Clients)
	_, err := fast.Write([]byte("exit 0"))
	require.NoError(t, err)
	<-s.Done()
}

func TestSessionPassesTheLatestSize(t *testing.T) {
	sizes := make(chan [2]uint, 8)
	s := New(Config{Name: "s", Rows: 24, Cols: 80})
	go s.Run(context.Background(), echoRunner(sizes))
	require.Equal(t, [2]uint{24, 80}, <-sizes, "the first size is given at start")
	c, _ := s.Attach()
	require.NoError(t, c.Resize(40, 120))
	require.Equal(t, [2]uint{40, 120}, <-sizes)
	require.Error(t, c.Resize(0, 10))
	info := s.Info()
	require.Equal(t, 40, info.Rows)
	require.Equal(t, 120, info.Cols)
	_, _ = c.Write([]byte("exit 0"))
	<-s.Done()
}

func TestSessionRecordsARunnerError(t *testing.T) {
	s := New(Config{Name: "s"})
	boom := errors.New("the agent is not running")
	s.Run(context.Background(), func(context.Context, io.Reader, io.Writer, <-chan [2]uint) (int, error) { return -1, boom })
	_, err, ok := s.Result()
	require.True(t, ok)
	require.ErrorIs(t, err, boom)
	require.Equal(t, "the agent is not running", s.Info().Error)
	require.Nil(t, s.Info().ExitCode)
}
