package events

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestCountsByKindAndHostPort(t *testing.T) {
	l := New(2) // counts outlive the ring
	l.SetHostAddrs([]netip.Addr{netip.MustParseAddr("172.17.0.1"), netip.MustParseAddr("::ffff:10.0.0.1")})
	for _, e := range []shared.Event{
		{Kind: shared.EventDNSRefused, Name: "evil.example"},
		{Kind: shared.EventDNSRefused, Name: "evil2.example"},
		{Kind: shared.EventConnRejected, Address: "203.0.113.5", Port: 7},
		{Kind: shared.EventConnRejected, Address: "172.17.0.1", Port: 3128},
		{Kind: shared.EventConnRejected, Address: "10.0.0.1", Port: 22},
		{Kind: shared.EventNameRefused, Name: "other.example", Address: "203.0.113.7", Port: 443},
		{Kind: shared.EventDNSAllowed, Name: "github.com", Addresses: []string{"192.0.2.1"}},
	} {
		l.Record(e)
	}
	require.Equal(t, shared.EventCounters{
		Recorded: 7, DNSRefused: 2, ConnRejected: 1, HostPortRejected: 2, NameRefused: 1, DNSFirstContacts: 1,
	}, l.Counts())

	all := New(10)
	all.SetHostAddrs([]netip.Addr{netip.MustParseAddr("172.17.0.1")})
	all.Record(shared.Event{Kind: shared.EventConnRejected, Address: "172.17.0.1", Port: 3128})
	all.Record(shared.Event{Kind: shared.EventConnRejected, Address: "203.0.113.5", Port: 7})
	got := all.Recent(0)
	require.Equal(t, shared.ReasonHostPort, got[0].Reason, "a refused host port says so")
	require.Empty(t, got[1].Reason)
}

func TestRecordConnContactOncePerName(t *testing.T) {
	l := New(10)
	for _, name := range []string{"api.github.com", "api.github.com", "github.com"} {
		l.RecordConnContact(shared.Event{Name: name, Address: "192.0.2.2", Port: 443, Protocol: "tcp"})
	}
	got := l.Recent(0)
	require.Len(t, got, 2)
	require.Equal(t, shared.EventConnAllowed, got[0].Kind)
	require.Equal(t, "api.github.com", got[0].Name)
	require.Equal(t, "github.com", got[1].Name)
	require.Equal(t, uint64(2), l.Counts().ConnFirstContacts)
}
