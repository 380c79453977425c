// Package enforce proves the sidecar's promises against the real kernel. Each
// test builds its own small world from network namespaces:
//
//	agent netns                                   internet netns
//	 warden-sidecar (real binary)                  fake authoritative DNS  192.0.2.53, 2001:db8:53::53
//	 fake Docker resolver 127.0.0.11:53            TCP/UDP echo :7, HTTP :80 on every service address
//	 probes (this test process, in-namespace)      host gateway 198.51.100.1, 2001:db8:100::1
//	 eth0 198.51.100.2 ───────── veth ─────────── wi0 198.51.100.1
//
// Only documentation addresses are used and the internet namespace has no
// link to the machine's own network, so no test packet can leave the machine.
// Every test here needs root and fails without it.
package enforce
