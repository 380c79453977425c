// Package ports lists the TCP ports that listen in the sidecar's network
// namespace, which is also the agent's, for the port chips of the UI:
//
//	/proc/net/tcp, /proc/net/tcp6 ──parseTable──► LISTEN entries
//	/proc/self/fd ──ownSockets──► inodes of the sidecar's own sockets (left out)
//	Lister.Hide ──► Docker's embedded resolver on 127.0.0.11 (left out)
//	                 ──group by port──► []shared.ListeningPort
//
// /proc/net shows the sockets of the reading process's network namespace,
// so the sidecar sees every listener the agent opens, on any address,
// including those bound to 127.0.0.1 only.
package ports
