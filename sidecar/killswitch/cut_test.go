package killswitch

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/ti-mo/conntrack"
)

// fakeTable is a conntrack table in memory.
type fakeTable struct {
	flows   []conntrack.Flow
	deleted []string
	gone    map[string]bool // deleted by the kernel between dump and delete
}

func (f *fakeTable) Dump() ([]conntrack.Flow, error) { return f.flows, nil }

func (f *fakeTable) Delete(fl conntrack.Flow) error {
	d := describe(fl.TupleOrig)
	if f.gone[d] {
		return syscall.ENOENT
	}
	f.deleted = append(f.deleted, d)
	return nil
}

func flow(src, dst string, dport uint16) conntrack.Flow {
	return conntrack.Flow{TupleOrig: conntrack.Tuple{
		IP:    conntrack.IPTuple{SourceAddress: netip.MustParseAddr(src), DestinationAddress: netip.MustParseAddr(dst)},
		Proto: conntrack.ProtoTuple{Protocol: 6, SourcePort: 40000, DestinationPort: dport},
	}}
}

var (
	agent   = "172.17.0.5"
	gateway = netip.MustParseAddr("172.17.0.1")
	table   = []conntrack.Flow{
		flow(agent, "203.0.113.7", 443),  // outside: allowed name
		flow(agent, "198.51.100.9", 443), // outside: removed name
		flow(agent, "172.17.0.1", 8080),  // the host
		flow("172.17.0.1", agent, 5173),  // a preview from the host
		flow("127.0.0.1", "127.0.0.1", 53),
		flow("::1", "::1", 5173),
		flow("2001:db8::5", "2001:db8::7", 443),
	}
)

func TestCutOnlyHost(t *testing.T) {
	f := &fakeTable{flows: table}
	n, err := Cut(f, Host{Gateways: []netip.Addr{gateway}}.OnlyHost())
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, []string{
		"proto 6 172.17.0.5:40000 -> 203.0.113.7:443",
		"proto 6 172.17.0.5:40000 -> 198.51.100.9:443",
		"proto 6 [2001:db8::5]:40000 -> [2001:db8::7]:443",
	}, f.deleted)
}

func TestCutNotTo(t *testing.T) {
	f := &fakeTable{flows: table}
	n, err := Cut(f, Host{Gateways: []netip.Addr{gateway}}.NotTo([]netip.Addr{
		netip.MustParseAddr("198.51.100.9"), gateway}))
	require.NoError(t, err)
	require.Equal(t, 1, n, "the host stays even when named")
	require.Equal(t, []string{"proto 6 172.17.0.5:40000 -> 198.51.100.9:443"}, f.deleted)
}

func TestCutLeavesClosedConnections(t *testing.T) {
	closed := flow(agent, "203.0.113.8", 443)
	closed.ProtoInfo.TCP = &conntrack.ProtoInfoTCP{State: tcpTimeWait}
	open := flow(agent, "203.0.113.9", 443)
	open.ProtoInfo.TCP = &conntrack.ProtoInfoTCP{State: 3} // established
	f := &fakeTable{flows: []conntrack.Flow{closed, open}}
	n, err := Cut(f, Host{}.OnlyHost())
	require.NoError(t, err)
	require.Equal(t, 1, n, "a closed connection is not counted as cut")
	require.Equal(t, []string{"proto 6 172.17.0.5:40000 -> 203.0.113.9:443"}, f.deleted)
}

func TestCutAFlowAlreadyGoneIsNoError(t *testing.T) {
	f := &fakeTable{flows: table[:2], gone: map[string]bool{"proto 6 172.17.0.5:40000 -> 203.0.113.7:443": true}}
	n, err := Cut(f, Host{}.OnlyHost())
	require.NoError(t, err)
	require.Equal(t, 1, n)
}
