package dnsfilter

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

func TestLocalNames(t *testing.T) {
	l := newLocalNames(addrs("172.17.0.1", "::ffff:10.0.0.1", "fd00::1"))
	tests := []struct {
		name      string
		qtype     uint16
		wantLocal bool
		want      []netip.Addr
	}{
		{name: "localhost", qtype: dns.TypeA, wantLocal: true, want: addrs("127.0.0.1")},
		{name: "localhost", qtype: dns.TypeAAAA, wantLocal: true, want: addrs("::1")},
		{name: "app.localhost", qtype: dns.TypeA, wantLocal: true, want: addrs("127.0.0.1")},
		{name: "a.b.localhost", qtype: dns.TypeAAAA, wantLocal: true, want: addrs("::1")},
		{name: "localhost", qtype: dns.TypeMX, wantLocal: true},
		{name: "host.docker.internal", qtype: dns.TypeA, wantLocal: true, want: addrs("172.17.0.1", "10.0.0.1")},
		{name: "host.docker.internal", qtype: dns.TypeAAAA, wantLocal: true, want: addrs("fd00::1")},
		{name: "host.docker.internal", qtype: dns.TypeTXT, wantLocal: true},
		{name: "notlocalhost", qtype: dns.TypeA},
		{name: "localhost.evil.com", qtype: dns.TypeA},
		{name: "x.host.docker.internal", qtype: dns.TypeA},
		{name: "docker.internal", qtype: dns.TypeA},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.Type(tt.qtype).String(), func(t *testing.T) {
			got, local := l.addrs(tt.name, tt.qtype)
			require.Equal(t, tt.wantLocal, local)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLocalReply(t *testing.T) {
	req := withEDNS(query("App.Localhost.", dns.TypeAAAA))
	m := localReply(req, addrs("::1"))
	require.Equal(t, req.Id, m.Id)
	require.True(t, m.Response)
	require.True(t, m.Authoritative)
	require.Equal(t, req.Question, m.Question)
	require.Equal(t, []string{"::1"}, answerAddrs(m))
	require.Equal(t, "App.Localhost.", m.Answer[0].Header().Name)
	require.NotNil(t, m.IsEdns0())
}
