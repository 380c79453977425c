package events

import (
	"net/netip"

	"github.com/warden-sh/warden/shared"
)

// SetHostAddrs names the host's addresses (host.docker.internal and the
// network's gateway). A conn-rejected event to one of them is a refused host
// port: Record gives it the reason shared.ReasonHostPort and counts it apart.
func (l *Log) SetHostAddrs(addrs []netip.Addr) {
	hosts := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		hosts[a.Unmap().String()] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hosts = hosts
}

// classify sets the reason of a refused host port; the caller holds mu.
func (l *Log) classify(e *shared.Event) {
	if e.Kind == shared.EventConnRejected && e.Reason == "" && l.hosts[e.Address] {
		e.Reason = shared.ReasonHostPort
	}
}

// count adds e to the counters; the caller holds mu.
func (l *Log) count(e shared.Event) {
	switch {
	case e.Kind == shared.EventConnRejected && e.Reason == shared.ReasonHostPort:
		l.counts.HostPortRejected++
	case e.Kind == shared.EventConnRejected:
		l.counts.ConnRejected++
	case e.Kind == shared.EventDNSRefused:
		l.counts.DNSRefused++
	case e.Kind == shared.EventNameRefused:
		l.counts.NameRefused++
	case e.Kind == shared.EventDNSAllowed:
		l.counts.DNSFirstContacts++
	case e.Kind == shared.EventConnAllowed:
		l.counts.ConnFirstContacts++
	}
}

// Counts reports how many events of each kind were recorded since the log
// was created, including those pushed out of the ring since.
func (l *Log) Counts() shared.EventCounters {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.counts
	c.Recorded = l.recorded
	c.SubscriberMisses = l.dropped
	return c
}
