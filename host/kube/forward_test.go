package kube

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
)

const fwdTestID = "a1b2c3d4e5f6"

// fakeKubelet answers port-forward streams as the kubelet's streaming
// server does: it pairs an error and a data stream by request id, connects
// to the port on loopback, and copies; a failed connect is written on the
// error stream and both streams are closed. verdict, when set, replaces
// the connect with that error.
type fakeKubelet struct {
	mu      sync.Mutex
	pending map[string]httpstream.Stream // request id → error stream
	verdict string
	// hold, when set, holds every forward's connect until it is closed.
	hold chan struct{}
}

func (k *fakeKubelet) handle(s httpstream.Stream, replySent <-chan struct{}) error {
	id := s.Headers().Get(corev1.PortForwardRequestIDHeader)
	k.mu.Lock()
	defer k.mu.Unlock()
	if s.Headers().Get(corev1.StreamType) == corev1.StreamTypeError {
		k.pending[id] = s
		return nil
	}
	errs := k.pending[id]
	delete(k.pending, id)
	port, _ := strconv.Atoi(s.Headers().Get(corev1.PortHeader))
	go func() {
		<-replySent
		k.forward(s, errs, port)
	}()
	return nil
}

func (k *fakeKubelet) forward(data, errs httpstream.Stream, port int) {
	defer errs.Close()
	defer data.Close()
	k.mu.Lock()
	verdict, hold := k.verdict, k.hold
	k.mu.Unlock()
	if hold != nil {
		<-hold
	}
	var c net.Conn
	err := errors.New(verdict)
	if verdict == "" {
		c, err = net.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	}
	if err != nil {
		fmt.Fprintf(errs, "error forwarding port %d to pod warden-%s: %v", port, fwdTestID, err)
		return
	}
	defer c.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(c, data); done <- struct{}{} }()
	go func() { _, _ = io.Copy(data, c); done <- struct{}{} }()
	<-done
}

// fakeLink is a link to a fake kubelet over a loopback pair.
func fakeLink(t *testing.T) (*link, *fakeKubelet) {
	t.Helper()
	k := &fakeKubelet{pending: map[string]httpstream.Stream{}}
	a, b := net.Pipe()
	server, err := spdy.NewServerConnection(b, k.handle)
	require.NoError(t, err)
	client, err := spdy.NewClientConnection(a)
	require.NoError(t, err)
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return &link{conn: client}, k
}

// httpServer serves h on loopback and returns its port.
func httpServer(t *testing.T, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestForwardConnCarriesHTTP(t *testing.T) {
	l, _ := fakeLink(t)
	port := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}))
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) { return l.open(fwdTestID, port) },
	}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 8 { // several forwards share the one connection
		wg.Go(func() {
			resp, err := client.Get("http://dev/" + strconv.Itoa(i))
			if !assertNoError(t, err) {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != "hello /"+strconv.Itoa(i) {
				t.Errorf("answer %q", b)
			}
		})
	}
	wg.Wait()
}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

func TestForwardConnRefusedPort(t *testing.T) {
	l, _ := fakeLink(t)
	port := freePort(t)
	c, err := l.open(fwdTestID, port)
	require.NoError(t, err, "port-forward cannot tell at the dial")
	defer c.Close()
	start := time.Now()
	_, err = c.Read(make([]byte, 10))
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "the first read says nothing listens: %v", err)
	require.Less(t, time.Since(start), errStreamWait, "the verdict ends the read; no wait for a bound")
	_, err = c.Read(make([]byte, 10))
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "and so does every read after")
	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.False(t, l.broken.Load(), "a refused port leaves the pod's connection in use")
}

func TestForwardConnOtherVerdictMarksTheLinkBroken(t *testing.T) {
	l, k := fakeLink(t)
	k.verdict = "pod not found (\"warden-" + fwdTestID + "_ns\")"
	c, err := l.open(fwdTestID, 8000)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Read(make([]byte, 10))
	require.Error(t, err)
	require.NotErrorIs(t, err, syscall.ECONNREFUSED)
	require.Contains(t, err.Error(), "pod not found")
	require.Eventually(t, l.broken.Load, 5*time.Second, 5*time.Millisecond)
}

func TestForwardConnDeadlines(t *testing.T) {
	l, _ := fakeLink(t)
	release := make(chan struct{})
	port := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprint(w, "late")
	}))
	c, err := l.open(fwdTestID, port)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: dev\r\n\r\n")
	require.NoError(t, err)

	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = c.Read(make([]byte, 10))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)

	// A deadline moved to the past ends a read that is waiting.
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	read := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 10))
		read <- err
	}()
	require.NoError(t, c.SetReadDeadline(time.Unix(1, 0)))
	select {
	case err := <-read:
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("a read went on past its deadline")
	}

	// With the deadline lifted the answer still comes whole.
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	close(release)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, "late", string(b))

	require.NoError(t, c.SetWriteDeadline(time.Unix(1, 0)))
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestForwardConnCloseEndsARead(t *testing.T) {
	l, _ := fakeLink(t)
	port := httpServer(t, http.NotFoundHandler())
	c, err := l.open(fwdTestID, port)
	require.NoError(t, err)
	read := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 10))
		read <- err
	}()
	require.NoError(t, c.Close())
	select {
	case err := <-read:
		require.ErrorIs(t, err, net.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a read waiting")
	}
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestLinksDialOncePerPod(t *testing.T) {
	var ls links
	l, _ := fakeLink(t)
	var dials sync.WaitGroup
	calls := 0
	var mu sync.Mutex
	release := make(chan struct{})
	dial := func(string) (httpstream.Connection, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		<-release
		return l.conn, nil
	}
	got := make(chan *link, 4)
	for range 4 {
		dials.Go(func() {
			lk, err := ls.get(context.Background(), fwdTestID, dial)
			if assertNoError(t, err) {
				got <- lk
			}
		})
	}
	close(release)
	dials.Wait()
	close(got)
	var first *link
	for lk := range got {
		if first == nil {
			first = lk
		}
		require.Same(t, first, lk)
	}
	require.Equal(t, 1, calls)

	// A broken link is replaced at the next get.
	first.broken.Store(true)
	fresh, _ := fakeLink(t)
	lk, err := ls.get(context.Background(), fwdTestID, func(string) (httpstream.Connection, error) { return fresh.conn, nil })
	require.NoError(t, err)
	require.NotSame(t, first, lk)

	// A failed dial is not kept.
	ls.drop(fwdTestID, nil)
	_, err = ls.get(context.Background(), fwdTestID, func(string) (httpstream.Connection, error) { return nil, errors.New("refused upgrade") })
	require.ErrorContains(t, err, "refused upgrade")
	lk, err = ls.get(context.Background(), fwdTestID, func(string) (httpstream.Connection, error) { return fresh.conn, nil })
	require.NoError(t, err)
	require.NotNil(t, lk)
}

func TestForwardConnRefusedAfterAWriteRetiresTheLink(t *testing.T) {
	l, k := fakeLink(t)
	hold := make(chan struct{})
	k.mu.Lock()
	k.hold = hold
	k.mu.Unlock()
	c, err := l.open(fwdTestID, freePort(t))
	require.NoError(t, err)
	// The proxy writes its request before it can know.
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: dev\r\n\r\n")
	require.NoError(t, err)
	close(hold)
	_, err = c.Read(make([]byte, 10))
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	// Marked before the refusal is reported: the caller's next forward,
	// opened right after, must not go on the held connection.
	require.True(t, l.broken.Load(),
		"the kubelet never reads a refused forward's bytes: new forwards go on a new connection")

	// A retired link stays open for the forwards still on it.
	other, err := l.open(fwdTestID, httpServer(t, http.NotFoundHandler()))
	require.NoError(t, err)
	c.Close()
	l.retire()
	select {
	case <-l.conn.CloseChan():
		t.Fatal("a forward in use was cut")
	default:
	}
	other.Close()
	select {
	case <-l.conn.CloseChan():
	case <-time.After(5 * time.Second):
		t.Fatal("the retired link was not closed with its last forward")
	}
}
