package nflog

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/test/nstest"
)

// TestPrivilegedReadsRejectedPackets logs packets to two documentation
// addresses routed through a veth pair in a throwaway namespace (this kernel
// has no dummy links) and reads them back through the kernel's
// nfnetlink_log. Nothing answers on the pair: the packets never leave the
// namespace.
func TestPrivilegedReadsRejectedPackets(t *testing.T) {
	ns := nstest.New(t, "wlog")
	ns.MustExec(t, "ip", "link", "add", "wlog0", "type", "veth", "peer", "name", "wlog1")
	ns.MustExec(t, "ip", "addr", "add", "192.0.2.1/24", "dev", "wlog0")
	ns.MustExec(t, "ip", "-6", "addr", "add", "2001:db8::1/64", "dev", "wlog0", "nodad")
	ns.MustExec(t, "ip", "link", "set", "wlog0", "up")
	ns.MustExec(t, "ip", "link", "set", "wlog1", "up")
	ns.MustExec(t, "iptables", "-A", "OUTPUT", "-d", "192.0.2.99", "-j", "NFLOG", "--nflog-group", "44", "--nflog-prefix", "warden")
	ns.MustExec(t, "ip6tables", "-A", "OUTPUT", "-d", "2001:db8::99", "-j", "NFLOG", "--nflog-group", "44", "--nflog-prefix", "warden")

	r := openIn(t, ns, 44)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, done := runReader(ctx, r)

	sendUDP(t, ns, "192.0.2.99:9", 1)
	require.NoError(t, ns.Do(func() error {
		// Nothing answers: the SYN is all that matters.
		dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer dcancel()
		c, err := (&net.Dialer{}).DialContext(dctx, "tcp", "[2001:db8::99]:443")
		if err == nil {
			c.Close()
		}
		return nil
	}))

	want := map[string]shared.Event{
		"udp": {Kind: shared.EventConnRejected, Address: "192.0.2.99", Port: 9, Protocol: "udp"},
		"tcp": {Kind: shared.EventConnRejected, Address: "2001:db8::99", Port: 443, Protocol: "tcp"},
	}
	deadline := time.After(5 * time.Second)
	for len(want) > 0 {
		select {
		case got := <-events:
			w, ok := want[got.Protocol]
			require.True(t, ok, "unexpected event %+v", got)
			require.WithinDuration(t, time.Now(), got.Time, 5*time.Second)
			got.Time = time.Time{}
			require.Equal(t, w, got)
			delete(want, got.Protocol)
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-deadline:
			t.Fatalf("no event for %v", want)
		}
	}
	cancel()
	require.NoError(t, waitDone(t, done))
	require.Zero(t, r.Stats().Overruns)
}

// TestPrivilegedOverrunIsCountedAndSurvived fills a tiny socket buffer so
// the kernel drops messages and reports ENOBUFS, then checks the reader
// counts the overrun and still delivers later packets.
func TestPrivilegedOverrunIsCountedAndSurvived(t *testing.T) {
	ns := nstest.New(t, "wlog")
	ns.MustExec(t, "ip", "link", "add", "wlog0", "type", "veth", "peer", "name", "wlog1")
	ns.MustExec(t, "ip", "addr", "add", "192.0.2.1/24", "dev", "wlog0")
	ns.MustExec(t, "ip", "link", "set", "wlog0", "up")
	ns.MustExec(t, "ip", "link", "set", "wlog1", "up")
	ns.MustExec(t, "iptables", "-A", "OUTPUT", "-d", "192.0.2.99", "-j", "NFLOG", "--nflog-group", "44")

	r := openIn(t, ns, 44)
	nc, ok := r.conn.(*netlink.Conn)
	require.True(t, ok)
	require.NoError(t, nc.SetReadBuffer(1)) // the kernel rounds up to its minimum
	sendUDP(t, ns, "192.0.2.99:9", 200)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, done := runReader(ctx, r)
	require.Eventually(t, func() bool { return r.Stats().Overruns > 0 }, 5*time.Second, 10*time.Millisecond)

	sendUDP(t, ns, "192.0.2.99:10", 1)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-events:
			if got.Port == 10 {
				cancel()
				require.NoError(t, waitDone(t, done))
				st := r.Stats()
				require.Less(t, st.Received, uint64(201), "the kernel dropped messages")
				return
			}
		case err := <-done:
			t.Fatalf("Run returned: %v", err)
		case <-deadline:
			t.Fatal("no event after the overrun")
		}
	}
}

// TestPrivilegedGroupHeldTwice shows the kernel lets one socket per
// namespace hold a group, and frees it when that socket closes.
func TestPrivilegedGroupHeldTwice(t *testing.T) {
	ns := nstest.New(t, "wlog")
	open := func() (*Reader, error) {
		var r *Reader
		err := ns.Do(func() error {
			var err error
			r, err = Open(45, discard())
			return err
		})
		return r, err
	}
	first, err := open()
	require.NoError(t, err)
	_, err = open()
	require.ErrorContains(t, err, "another socket in this network namespace may hold it")
	require.NoError(t, first.Close())
	again, err := open()
	require.NoError(t, err)
	require.NoError(t, again.Close())
}

// openIn opens a reader on group inside ns and closes it when the test ends.
func openIn(t *testing.T, ns *nstest.NS, group uint16) *Reader {
	t.Helper()
	var r *Reader
	require.NoError(t, ns.Do(func() error {
		var err error
		r, err = Open(group, discard())
		return err
	}))
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// sendUDP sends count datagrams to addr from inside ns.
func sendUDP(t *testing.T, ns *nstest.NS, addr string, count int) {
	t.Helper()
	require.NoError(t, ns.Do(func() error {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		for i := 0; i < count; i++ {
			if _, err := c.Write([]byte("warden nflog test")); err != nil {
				return err
			}
		}
		return nil
	}))
}
