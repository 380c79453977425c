// Package dnsfilter is the sidecar's DNS server. Every query the agent makes
// ends here (the firewall redirects port 53 to it), is judged against the
// project's policy, and is either answered locally, refused, or forwarded on
// the filter's own marked sockets. Before an allowed answer is written back,
// the addresses it names are handed to the Adder, so the firewall lets the
// agent reach them by the time the agent can know them.
//
//	agent ──query──► Filter.ServeDNS (127.0.0.1:53, [::1]:53, UDP and TCP)
//	                   │
//	                   ├─ not one IN question, odd opcode, AXFR/IXFR ─► REFUSED
//	                   ├─ localhost, *.localhost ────────► 127.0.0.1 / ::1
//	                   ├─ host.docker.internal ──────────► Config.HostGateways
//	                   │
//	                   │  policy (atomic pointer, swapped by SetPolicy)
//	                   ├─ none, or restricted and no entry matches
//	                   │      ─► REFUSED + EDE 15 "Blocked", onRefused(Event);
//	                   │         nothing is sent upstream
//	                   ├─ full ──────────► forward ─► answer as is
//	                   └─ restricted, entry matches
//	                          ─► forward ─► CNAME chain from the question
//	                             ─► Adder.Add(entry, addresses, min TTL)
//	                             ─► answer (SERVFAIL if Add failed)
//
//	the first successful answer for each allowed name (full or restricted)
//	─► onRefused(dns-allowed Event with the chain's addresses): the audit
//	   log's first contact; later answers cost one lock-free map read
//
//	forward: UDP client ─► pooled connected UDP sockets (SO_MARK), random IDs
//	                       multiplexed, one reader goroutine per socket
//	         TCP client ─► one TCP connection (SO_MARK) per query
//	         each attempt is bounded by Config.Timeout; on failure the next
//	         upstream is tried; all failed ─► SERVFAIL, counted
//
// The query sent upstream is rebuilt from the question, a few header bits and
// the client's EDNS buffer size, so options the client attached never leave
// the namespace. The upstream reply is checked (source address via the
// connected socket, ID, question) and written back to the client byte for
// byte with the client's ID, so a UDP client still sees a truncated answer
// and retries over TCP. A reply on a pooled socket that matches no pending or
// recently abandoned query, or names another question, is taken as someone
// guessing IDs to forge an answer: every query waiting on that socket fails
// (SERVFAIL) rather than risk letting a forged address into the sets.
//
// Resolve looks up an entry's own A and AAAA records on the same upstream
// path, so a name added to a live policy is reachable at once.
package dnsfilter
