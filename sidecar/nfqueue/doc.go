// Package nfqueue receives the packets the firewall hands to user space with
// the NFQUEUE target and sends back the verdict on each.
//
//	iptables ... -j NFQUEUE --queue-num N
//	  └─ kernel holds the packet ─► Queue.Run: read a batch of messages
//	       handler(Packet) returns Verdict{Accept|Drop|Repeat, ConnMark}
//	  ◄─ verdict message: the packet goes on (or is dropped, or walks the
//	     hook again), and the connection's conntrack mark is set with it
//
// A packet without a verdict stays in the kernel; the handler may keep its
// ID and decide later (Queue.Verdict). When nothing reads the queue, the
// kernel drops what it would have queued: a dead reader closes the path, it
// never opens it.
//
// The socket is a raw netlink socket driven through golang.org/x/sys/unix:
// messages are parsed in place from one receive buffer and verdicts of a
// batch leave in one send. The message layout is checked against
// github.com/mdlayher/netlink's encoder and decoder in the tests.
package nfqueue
