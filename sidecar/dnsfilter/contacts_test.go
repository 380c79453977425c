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

func TestContactsRememberNamesTheirSlotsKeep(t *testing.T) {
	c := newContacts()
	a := c.key("a.example.")
	require.Equal(t, a, c.key("A.Example"), "case and final dot aside")
	require.True(t, c.first(a))
	require.False(t, c.first(a))
	require.True(t, c.seen(a))
	// A name whose slot another takes is reported again, never lost.
	var taker uint64
	for i := 0; ; i++ {
		if k := c.key("n" + strconv.Itoa(i) + ".example"); k != a && k&(contactSlots-1) == a&(contactSlots-1) {
			taker = k
			break
		}
	}
	require.True(t, c.first(taker))
	require.False(t, c.seen(a))
	require.True(t, c.first(a), "reported again once its slot was taken")
}

// The table is keyed per process: the same name hashes apart in two
// filters, so no name can be chosen to pass for another's.
func TestContactsKeyedPerProcess(t *testing.T) {
	c1, c2 := newContacts(), newContacts()
	require.NotEqual(t, c1.key("a.example"), c2.key("a.example"))
}

func TestContactsQuestionAllocatesNothing(t *testing.T) {
	c := newContacts()
	k := c.key("seen.example.")
	c.first(k)
	allocs := testing.AllocsPerRun(100, func() {
		if !c.seen(c.key("seen.example.")) || c.seen(c.key("other.example.")) {
			t.Fatal("wrong answer")
		}
	})
	require.Zero(t, allocs)
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
