package dnsfilter

import (
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

func TestFirstContactReportedOncePerName(t *testing.T) {
	tests := []struct {
		name    string
		mode    shared.Mode
		domains []string
		queries []*dns.Msg
		want    []shared.Event
	}{{
		name: "restricted: first answer with addresses, once", mode: shared.ModeRestricted, domains: []string{"github.com"},
		queries: []*dns.Msg{query("API.github.com.", dns.TypeA), query("api.github.com.", dns.TypeA), query("api.github.com.", dns.TypeAAAA)},
		want: []shared.Event{{Kind: shared.EventDNSAllowed, Name: "api.github.com", QType: "A", Protocol: "udp",
			Addresses: []string{"192.0.2.2", "192.0.2.3"}}},
	}, {
		name: "full mode reports too, with the chain's addresses", mode: shared.ModeFull,
		queries: []*dns.Msg{query("www.github.com.", dns.TypeA), query("www.github.com.", dns.TypeA)},
		want: []shared.Event{{Kind: shared.EventDNSAllowed, Name: "www.github.com", QType: "A", Protocol: "udp",
			Addresses: []string{"203.0.113.5", "203.0.113.6"}}},
	}, {
		name: "an answer without addresses waits for one that has some", mode: shared.ModeRestricted, domains: []string{"github.com"},
		queries: []*dns.Msg{query("noaddr.github.com.", dns.TypeA), query("noaddr.github.com.", dns.TypeAAAA), query("noaddr.github.com.", dns.TypeTXT)},
		want:    []shared.Event{{Kind: shared.EventDNSAllowed, Name: "noaddr.github.com", QType: "TXT", Protocol: "udp"}},
	}, {
		name: "refused names are no contact", mode: shared.ModeRestricted, domains: []string{"github.com"},
		queries: []*dns.Msg{query("evil.com.", dns.TypeA)},
		want:    []shared.Event{{Kind: shared.EventDNSRefused, Name: "evil.com", QType: "A", Protocol: "udp"}},
	}, {
		name: "a failed answer is no contact", mode: shared.ModeRestricted, domains: []string{"github.com"},
		queries: []*dns.Msg{query("missing.github.com.", dns.TypeA)},
		want:    nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, testZone(t))
			s := startFilter(t, testConfig(up.addr), tt.mode, tt.domains...)
			for _, q := range tt.queries {
				exchange(t, s.addr, "udp", q)
			}
			got := s.events.List()
			for i := range got {
				got[i].Addresses = sortedStrings(got[i].Addresses)
			}
			require.Equal(t, tt.want, nilIfEmpty(got))
		})
	}
}

func TestContactsForgetPastTheirBound(t *testing.T) {
	var c contacts
	require.True(t, c.first("a.example"))
	require.False(t, c.first("a.example"))
	for i := range maxContacts {
		c.first("n" + strconv.Itoa(i) + ".example")
	}
	require.True(t, c.first("a.example"), "past the bound the memory starts afresh")
	require.LessOrEqual(t, c.n.Load(), int64(maxContacts))
}

func sortedStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}

func TestNoFirstContacts(t *testing.T) {
	up := newUpstream(t, testZone(t))
	cfg := testConfig(up.addr)
	cfg.NoFirstContacts = true
	s := startFilter(t, cfg, shared.ModeRestricted, "github.com")
	exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	exchange(t, s.addr, "udp", query("evil.com.", dns.TypeA))
	require.Equal(t, []shared.Event{{Kind: shared.EventDNSRefused, Name: "evil.com", QType: "A", Protocol: "udp"}}, s.events.List(),
		"refusals only")
}

func TestContactsPerSecondBound(t *testing.T) {
	var c contacts
	at := time.Unix(1000, 0)
	for range contactsPerSecond {
		require.True(t, c.allow(at))
	}
	require.False(t, c.allow(at.Add(500*time.Millisecond)), "over the bound within the second")
	require.Equal(t, uint64(1), c.deferred.Load())
	require.True(t, c.allow(at.Add(time.Second)), "a new second, a new bound")
}

// A name over the bound is reported at its next answer.
func TestDeferredContactReportedLater(t *testing.T) {
	up := newUpstream(t, testZone(t))
	s := startFilter(t, testConfig(up.addr), shared.ModeRestricted, "github.com")
	var at atomic.Int64
	at.Store(1000)
	s.f.contacts.now = func() time.Time { return time.Unix(at.Load(), 0) }
	for range contactsPerSecond {
		s.f.contacts.allow(time.Unix(1000, 0))
	}
	exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	require.Empty(t, s.events.List())
	require.Equal(t, uint64(1), s.f.Counters().FirstContactsDeferred)
	at.Store(1001)
	exchange(t, s.addr, "udp", query("github.com.", dns.TypeA))
	require.Len(t, s.events.List(), 1)
	require.Equal(t, shared.EventDNSAllowed, s.events.List()[0].Kind)
}
