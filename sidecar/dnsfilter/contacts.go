package dnsfilter

import (
	"net/netip"
	"sync"
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

// maxContacts bounds the names remembered as already reached. An agent can
// make up endless names under an allowed entry; once the bound is passed
// the memory starts afresh, so a name may be reported again, never lost.
const maxContacts = 8192

// contacts remembers the allowed names already answered, so that only the
// first answer for each is reported. After the first answer a name costs
// one lock-free map read per query.
type contacts struct {
	seen sync.Map // normalised name → struct{}
	n    atomic.Int64

	second   atomic.Int64 // the Unix second reported is counting
	reported atomic.Int64 // first contacts reported in it
	deferred atomic.Uint64

	now func() time.Time // nil: time.Now; tests set it before the filter serves
}

func (c *contacts) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
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

// first reports whether name has not been reported yet, and remembers it.
func (c *contacts) first(name string) bool {
	if _, ok := c.seen.Load(name); ok {
		return false
	}
	if _, loaded := c.seen.LoadOrStore(name, struct{}{}); loaded {
		return false
	}
	if c.n.Add(1) > maxContacts {
		c.seen.Clear()
		c.n.Store(0)
	}
	return true
}

// reportContact records the first successful answer for an allowed name:
// its addresses (those reached through the CNAME chain) when it has any.
// addrs is nil when the caller has not read them; they are read here then,
// and only for a name not reported yet.
func (f *Filter) reportContact(req *dns.Msg, tcp bool, raw []byte, addrs []netip.Addr, read bool) {
	if f.onRefused == nil || f.cfg.NoFirstContacts || rcode(raw) != dns.RcodeSuccess {
		return
	}
	q := req.Question[0]
	name, ok := shared.NormalizeQueryName(q.Name)
	if !ok {
		return
	}
	if (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA) && read && len(addrs) == 0 {
		return // no address yet (say, an AAAA question for a name with none): wait for one
	}
	if _, seen := f.contacts.seen.Load(name); seen {
		return
	}
	if !read {
		if rrs, err := parseAnswers(raw); err == nil {
			addrs, _ = chainAddrs(q.Name, rrs)
		}
		if (q.Qtype == dns.TypeA || q.Qtype == dns.TypeAAAA) && len(addrs) == 0 {
			return
		}
	}
	now := f.contacts.clock()
	if !f.contacts.allow(now) || !f.contacts.first(name) {
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
