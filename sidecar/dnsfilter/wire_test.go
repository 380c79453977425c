package dnsfilter

import (
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

func TestPackQuery(t *testing.T) {
	tests := []struct {
		name  string
		qname string
		qtype uint16
		opts  queryOpts
	}{
		{name: "plain", qname: "github.com.", qtype: dns.TypeA, opts: queryOpts{rd: true}},
		{name: "EDNS and DO", qname: "API.github.com.", qtype: dns.TypeAAAA, opts: queryOpts{rd: true, edns: true, udpSize: 1232, do: true}},
		{name: "AD and CD", qname: "github.com.", qtype: dns.TypeHTTPS, opts: queryOpts{ad: true, cd: true}},
		{name: "root", qname: ".", qtype: dns.TypeNS},
		{name: "escaped label", qname: `a\.b.example.com.`, qtype: dns.TypeA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := packQuery(tt.qname, tt.qtype, dns.ClassINET, tt.opts)
			require.NoError(t, err)
			var m dns.Msg
			require.NoError(t, m.Unpack(b))
			require.Zero(t, m.Id)
			require.False(t, m.Response)
			require.Equal(t, []dns.Question{{Name: tt.qname, Qtype: tt.qtype, Qclass: dns.ClassINET}}, m.Question)
			require.Equal(t, tt.opts.rd, m.RecursionDesired)
			require.Equal(t, tt.opts.ad, m.AuthenticatedData)
			require.Equal(t, tt.opts.cd, m.CheckingDisabled)
			require.Empty(t, m.Answer)
			require.Empty(t, m.Ns)
			opt := m.IsEdns0()
			require.Equal(t, tt.opts.edns, opt != nil)
			if opt != nil {
				require.Equal(t, tt.opts.udpSize, opt.UDPSize())
				require.Equal(t, tt.opts.do, opt.Do())
				require.Zero(t, opt.Version())
				require.Empty(t, opt.Option)
			}
			nameEnd, end, err := questionEnd(b)
			require.NoError(t, err)
			require.Equal(t, end, nameEnd+4)
		})
	}
	_, err := packQuery("not-fqdn", dns.TypeA, dns.ClassINET, queryOpts{})
	require.Error(t, err)
}

func TestAnswers(t *testing.T) {
	query, err := packQuery("api.github.com.", dns.TypeA, dns.ClassINET, queryOpts{rd: true})
	require.NoError(t, err)
	nameEnd, end, err := questionEnd(query)
	require.NoError(t, err)
	base := func() *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion("api.github.com.", dns.TypeA)
		m.Response = true
		return m
	}
	tests := []struct {
		name   string
		mutate func(m *dns.Msg)
		want   bool
	}{
		{name: "same question", mutate: func(m *dns.Msg) {}, want: true},
		{name: "other case", mutate: func(m *dns.Msg) { m.Question[0].Name = "API.GitHub.COM." }, want: true},
		{name: "with answers and rcode", mutate: func(m *dns.Msg) {
			m.Rcode = dns.RcodeNameError
			m.Answer = rrs(t, "api.github.com. 1 IN A 192.0.2.1")
		}, want: true},
		{name: "other name", mutate: func(m *dns.Msg) { m.Question[0].Name = "api.github.org." }},
		{name: "longer name", mutate: func(m *dns.Msg) { m.Question[0].Name = "xapi.github.com." }},
		{name: "other type", mutate: func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeAAAA }},
		// 0x41 and 0x61 differ only in ASCII case; types compare exactly.
		{name: "type differing in case bit", mutate: func(m *dns.Msg) { m.Question[0].Qtype = 0x41 }},
		{name: "other class", mutate: func(m *dns.Msg) { m.Question[0].Qclass = dns.ClassCHAOS }},
		{name: "not a response", mutate: func(m *dns.Msg) { m.Response = false }},
		{name: "other opcode", mutate: func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify }},
		{name: "no question", mutate: func(m *dns.Msg) { m.Question = nil }},
		{name: "two questions", mutate: func(m *dns.Msg) { m.Question = append(m.Question, m.Question[0]) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.mutate(m)
			b, err := m.Pack()
			require.NoError(t, err)
			require.Equal(t, tt.want, answers(b, query, nameEnd, end))
		})
	}
	require.False(t, answers(query[:5], query, nameEnd, end))
}
