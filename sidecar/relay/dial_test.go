package relay

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"
)

func listen(t *testing.T, network, addr string) int {
	t.Helper()
	ln, err := net.Listen(network, addr)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("hello from " + ln.Addr().String()))
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func greeting(t *testing.T, c net.Conn) string {
	t.Helper()
	defer c.Close()
	b := make([]byte, 100)
	n, _ := c.Read(b)
	return string(b[:n])
}

func TestDialLoopback(t *testing.T) {
	ctx := context.Background()
	d := Dialer{Own: []int{5353}}

	t.Run("127.0.0.1", func(t *testing.T) {
		port := listen(t, "tcp4", "127.0.0.1:0")
		c, err := d.DialLoopback(ctx, port)
		require.NoError(t, err)
		require.Contains(t, greeting(t, c), "127.0.0.1")
	})
	t.Run("::1 when 127.0.0.1 is closed", func(t *testing.T) {
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Fatalf("this test needs IPv6 on loopback: %v", err)
		}
		ln.Close()
		port := listen(t, "tcp6", "[::1]:0")
		c, err := d.DialLoopback(ctx, port)
		require.NoError(t, err)
		require.Contains(t, greeting(t, c), "[::1]")
	})
	t.Run("closed", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		_, err = d.DialLoopback(ctx, port)
		require.ErrorIs(t, err, ErrNotListening)
	})
	t.Run("refused", func(t *testing.T) {
		for _, port := range []int{53, 5353} {
			_, err := d.DialLoopback(ctx, port)
			require.ErrorIs(t, err, ErrRefusedPort, "port %d", port)
		}
		for _, port := range []int{0, -1, 65536} {
			_, err := d.DialLoopback(ctx, port)
			require.ErrorContains(t, err, "1 to 65535")
		}
	})
}
