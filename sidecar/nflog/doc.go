// Package nflog reads the packets the sidecar's firewall rejects, so the user
// can see what the agent tried to reach.
//
//	iptables WARDEN-OUT ─ -j NFLOG --nflog-group G ─► kernel (nfnetlink_log)
//	      ─► NETLINK_NETFILTER socket bound to group G (Open)
//	      ─► NFULNL_MSG_PACKET: NFULA_PAYLOAD = first bytes of the IP packet
//	      ─► decodePacket (gopacket/layers) ─► shared.Event{Kind: conn-rejected}
//	      ─► emit (the engine records it in the event log)
//
// The nfnetlink_log protocol is spoken directly over mdlayher/netlink: one
// config message binds the group, a second asks for the first copyRange bytes
// of each packet and delivery of every packet as soon as it is logged. When
// the reader falls behind, the kernel drops messages and reports ENOBUFS on
// the next read; the reader counts the overrun and carries on, because losing
// a few log lines must never stop enforcement reporting altogether.
package nflog
