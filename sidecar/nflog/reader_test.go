package nflog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/mdlayher/netlink"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/warden-sh/warden/shared"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func packetMsg(data []byte) netlink.Message {
	return netlink.Message{Header: netlink.Header{Type: msgTypePacket}, Data: data}
}

// runReader starts Run on r and returns the events channel and Run's result.
func runReader(ctx context.Context, r *Reader) (<-chan shared.Event, <-chan error) {
	events := make(chan shared.Event, 100)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, func(e shared.Event) { events <- e }) }()
	return events, done
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name    string
		errs    map[int]error
		wantErr string
	}{
		{name: "bind then mode"},
		{name: "not permitted or held elsewhere", errs: map[int]error{0: &netlink.OpError{Op: "receive", Err: unix.EPERM}},
			wantErr: "binding NFLOG group 44: another socket in this network namespace may hold it, or the process lacks CAP_NET_ADMIN"},
		{name: "other bind failure", errs: map[int]error{0: &netlink.OpError{Op: "receive", Err: unix.EINVAL}},
			wantErr: "binding NFLOG group 44: netlink receive: invalid argument"},
		{name: "mode refused", errs: map[int]error{1: &netlink.OpError{Op: "receive", Err: unix.EINVAL}},
			wantErr: "setting copy mode of NFLOG group 44: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeConn()
			c.executeErr = tc.errs
			err := newReader(c, 44, discard()).configure()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			bind, _ := bindMessage(44)
			mode, _ := modeMessage(44)
			require.Equal(t, []netlink.Message{bind, mode}, c.executed)
		})
	}
}

func TestRunEmitsEvents(t *testing.T) {
	c := newFakeConn()
	r := newReader(c, 44, discard())
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }

	udp := serialize(t, ipv4(layers.IPProtocolUDP, "192.0.2.99"), &layers.UDP{SrcPort: 1, DstPort: 9})
	syn := serialize(t, ipv6(layers.IPProtocolTCP, "2001:db8::99"), tcpSYN(443))
	c.replies <- reply{msgs: []netlink.Message{
		packetMsg(packetMessage(t, udp, "warden")),
		{Header: netlink.Header{Type: msgTypeConfig}, Data: []byte{0, 0, 0, 44}}, // not a packet: ignored
		packetMsg(packetMessage(t, []byte{0x10, 1, 2}, "warden")),                // not IP: counted
	}}
	c.replies <- reply{msgs: []netlink.Message{packetMsg(packetMessage(t, syn, "warden"))}}

	ctx, cancel := context.WithCancel(context.Background())
	events, done := runReader(ctx, r)
	want := []shared.Event{
		{Time: now, Kind: shared.EventConnRejected, Address: "192.0.2.99", Port: 9, Protocol: "udp"},
		{Time: now, Kind: shared.EventConnRejected, Address: "2001:db8::99", Port: 443, Protocol: "tcp"},
	}
	for _, w := range want {
		select {
		case got := <-events:
			require.Equal(t, w.Address, got.Address)
			require.Equal(t, w.Port, got.Port)
			require.Equal(t, w.Protocol, got.Protocol)
			require.True(t, w.Time.Equal(got.Time), "time %v, want %v", got.Time, w.Time)
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
	}
	cancel()
	require.NoError(t, waitDone(t, done), "a cancelled Run returns nil")
	require.Equal(t, Stats{Received: 3, Undecodable: 1}, r.Stats())
}

func TestRunCarriesOnAfterENOBUFS(t *testing.T) {
	c := newFakeConn()
	r := newReader(c, 44, discard())
	udp := serialize(t, ipv4(layers.IPProtocolUDP, "192.0.2.99"), &layers.UDP{SrcPort: 1, DstPort: 9})
	enobufs := &netlink.OpError{Op: "receive", Err: os.NewSyscallError("recvmsg", unix.ENOBUFS)}
	c.replies <- reply{err: enobufs}
	c.replies <- reply{err: enobufs}
	c.replies <- reply{msgs: []netlink.Message{packetMsg(packetMessage(t, udp, "warden"))}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, done := runReader(ctx, r)
	select {
	case got := <-events:
		require.Equal(t, "192.0.2.99", got.Address)
	case err := <-done:
		t.Fatalf("Run stopped on ENOBUFS: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no event after ENOBUFS")
	}
	require.Equal(t, uint64(2), r.Stats().Overruns)
	cancel()
	require.NoError(t, waitDone(t, done))
}

func TestRunStops(t *testing.T) {
	tests := []struct {
		name    string
		stop    func(context.CancelFunc, *Reader, *fakeConn)
		wantErr string
	}{
		{name: "context cancelled", stop: func(cancel context.CancelFunc, _ *Reader, _ *fakeConn) { cancel() }},
		{name: "reader closed", stop: func(_ context.CancelFunc, r *Reader, _ *fakeConn) { require.NoError(t, r.Close()) }},
		{
			name: "read failure",
			stop: func(_ context.CancelFunc, _ *Reader, c *fakeConn) {
				c.replies <- reply{err: &netlink.OpError{Op: "receive", Err: unix.EIO}}
			},
			wantErr: "reading NFLOG group 44: ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newFakeConn()
			r := newReader(c, 44, discard())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, done := runReader(ctx, r)
			tc.stop(cancel, r, c)
			err := waitDone(t, done)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
			require.True(t, errors.Is(err, unix.EIO))
		})
	}
}

func TestRunAgainAfterCancel(t *testing.T) {
	c := newFakeConn()
	r := newReader(c, 44, discard())
	ctx, cancel := context.WithCancel(context.Background())
	_, done := runReader(ctx, r)
	cancel()
	require.NoError(t, waitDone(t, done))

	udp := serialize(t, ipv4(layers.IPProtocolUDP, "192.0.2.99"), &layers.UDP{SrcPort: 1, DstPort: 9})
	c.replies <- reply{msgs: []netlink.Message{packetMsg(packetMessage(t, udp, "warden"))}}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	events, done2 := runReader(ctx2, r)
	select {
	case <-events:
	case err := <-done2:
		t.Fatalf("second Run returned at once: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no event on the second Run")
	}
	cancel2()
	require.NoError(t, waitDone(t, done2))
}
