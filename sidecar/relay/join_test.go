package relay

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tcpPair returns the two ends of one loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	s := <-accepted
	require.NotNil(t, s)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

// joined builds client ⇄ [a Join b] ⇄ server and returns the outer ends.
func joined(t *testing.T) (client, server net.Conn, done chan struct{}) {
	client, a := tcpPair(t)
	b, server := tcpPair(t)
	done = make(chan struct{})
	go func() {
		defer close(done)
		Join(a, b)
	}()
	return client, server, done
}

func TestJoinCopiesBothWaysAndHalfCloses(t *testing.T) {
	client, server, done := joined(t)
	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)

	go func() {
		_, _ = client.Write(big)
		_ = client.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(server)
	require.NoError(t, err, "the server sees the client's end of input")
	require.True(t, bytes.Equal(big, got), "3 MiB arrive intact")

	// The other direction still works after the half-close.
	_, err = server.Write([]byte("reply after half-close"))
	require.NoError(t, err)
	require.NoError(t, server.(*net.TCPConn).CloseWrite())
	reply, err := io.ReadAll(client)
	require.NoError(t, err)
	require.Equal(t, "reply after half-close", string(reply))

	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Join did not return once both directions ended")
	}
}

func TestJoinClosesBothOnReset(t *testing.T) {
	client, server, done := joined(t)
	require.NoError(t, client.(*net.TCPConn).SetLinger(0))
	require.NoError(t, client.Close()) // RST
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Join did not end after a reset")
	}
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := server.Read(make([]byte, 1))
	require.Error(t, err, "the far side is closed too")
}

func TestJoinIdleHoldsNoBuffer(t *testing.T) {
	const conns = 200
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var servers []net.Conn
	for range conns {
		_, server, _ := joined(t)
		servers = append(servers, server)
	}
	time.Sleep(100 * time.Millisecond) // let every pipe reach its wait
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / conns
	// Four sockets, two pipes of two goroutines each: well under one 32 KiB
	// buffer per pipe.
	require.Less(t, perConn, float64(bufSize), "bytes per joined pair while idle")
	t.Logf("%.1f KiB per idle joined pair (test sockets included)", perConn/1024)
	for _, s := range servers {
		s.Close()
	}
}
