package events

import "github.com/warden-sh/warden/shared"

// maxConnContacts bounds the names RecordConnContact remembers; past it the
// memory starts afresh, so a name may be recorded twice, never lost.
const maxConnContacts = 8192

// RecordConnContact records a connection the name check let through
// (conn-allowed) the first time its name is seen since the log was
// created, and nothing after. It is the name check's hook for the audit
// log's first contacts: call it for every accepted connection; it never
// waits for a subscriber.
func (l *Log) RecordConnContact(e shared.Event) {
	e.Kind = shared.EventConnAllowed
	l.mu.Lock()
	if l.connSeen == nil || len(l.connSeen) >= maxConnContacts {
		l.connSeen = make(map[string]struct{})
	}
	_, seen := l.connSeen[e.Name]
	if !seen {
		l.connSeen[e.Name] = struct{}{}
	}
	l.mu.Unlock()
	if !seen {
		l.Record(e)
	}
}
