package dnsfilter

import (
	"hash/maphash"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/warden-sh/warden/shared"
)

// contactsPerSecond bounds the first contacts reported in one second. An
// agent asking for thousands of new names a second under an allowed entry
// would otherwise spend the DNS path on the audit log; a name over the
// bound is not marked reached, so its next answer reports it.
const contactsPerSecond = 200

// contactSlots is the size of the table of names already reported (8 bytes
// each). An agent can make up endless names under an allowed entry; a name
// whose slot a later one took is reported again at its next answer, never
// lost.
const contactSlots = 1 << 14

// contacts remembers the allowed names already answered, so that only the
// first answer for each is reported. Every allowed answer asks it, so the
// question costs no allocation and no lock: a name is remembered as its
// keyed hash (the key is random per process, so an agent cannot pick a
// name that passes for one already reported) in a fixed table indexed by
// the hash's low bits.
type contacts struct {
	seed  maphash.Seed
	slots *[contactSlots]atomic.Uint64

	second   atomic.Int64 // the Unix second reported is counting
	reported atomic.Int64 // first contacts reported in it
	deferred atomic.Uint64

	now func() time.Time // nil: time.Now; tests set it before the filter serves
}

func newContacts() contacts {
	return contacts{seed: maphash.MakeSeed(), slots: new([contactSlots]atomic.Uint64)}
}

func (c *contacts) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// key is the hash of a query name, case and final dot aside; never 0,
// which marks an empty slot.
func (c *contacts) key(qname string) uint64 {
	qname = strings.TrimSuffix(qname, ".")
	if hasUpper(qname) {
		qname = strings.ToLower(qname)
	}
	return maphash.String(c.seed, qname) | 1
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func (c *contacts) slot(key uint64) *atomic.Uint64 { return &c.slots[key&(contactSlots-1)] }

// seen reports whether the name of key was reported already.
func (c *contacts) seen(key uint64) bool { return c.slot(key).Load() == key }

// first reports whether the name of key has not been reported yet, and
// remembers it; of two answers racing for the same name one wins.
func (c *contacts) first(key uint64) bool {
	s := c.slot(key)
	old := s.Load()
	return old != key && s.CompareAndSwap(old, key)
}

// allow reports whether one more first contact may be reported this
// second, and counts the ones that may not.
func (c *contacts) allow(now time.Time) bool {
	sec := now.Unix()
	if cur := c.second.Load(); cur != sec && c.second.CompareAndSwap(cur, sec) {
		c.reported.Store(0)
	}
	if c.reported.Add(1) > contactsPerSecond {
		c.deferred.Add(1)
		return false
	}
	return true
}

// reportContact records the first successful answer for an allowed name:
// its addresses (those reached through the CNAME chain) when it has any.
// addrs is nil when the caller has not read them; they are read here then,
// and only for a name not reported yet, within the second's bound.
func (f *Filter) reportContact(req *dns.Msg, tcp bool, raw []byte, addrs []netip.Addr, read bool) {
	if f.onRefused == nil || f.cfg.NoFirstContacts || rcode(raw) != dns.RcodeSuccess {
		return
	}
	q := req.Question[0]
	isAddr := q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA
	if isAddr && read && len(addrs) == 0 {
		return // no address yet (say, an AAAA question for a name with none): wait for one
	}
	key := f.contacts.key(q.Name)
	if f.contacts.seen(key) {
		return
	}
	now := f.contacts.clock()
	if !f.contacts.allow(now) {
		return
	}
	name, ok := shared.NormalizeQueryName(q.Name)
	if !ok {
		return
	}
	if !read {
		if rrs, err := parseAnswers(raw); err == nil {
			addrs, _ = chainAddrs(q.Name, rrs)
		}
		if isAddr && len(addrs) == 0 {
			return
		}
	}
	if !f.contacts.first(key) {
		return
	}
	ev := shared.Event{Time: now, Kind: shared.EventDNSAllowed, Name: name, QType: dns.Type(q.Qtype).String(), Protocol: "udp"}
	if tcp {
		ev.Protocol = "tcp"
	}
	for _, a := range addrs {
		ev.Addresses = append(ev.Addresses, a.String())
	}
	f.onRefused(ev)
}
