// Package egress binds every TCP connection the agent opens in restricted mode
// to the name it carries. The firewall marks each new TCP connection to an
// allowed address "pending" and hands its packets to the check through an
// NFQUEUE; the connection itself goes straight to its destination, and once
// judged it leaves the check's path: the rest flows in the kernel.
//
//	agent connect(203.0.113.7:443)
//	  SYN ─► set member, new: conntrack mark pending ─► queue ─► Check: accept
//	  ACK ─► pending ─► queue ─► Check: accept (carries no data)
//	  data ─► pending ─► queue ─► Check takes the bytes in order; the first
//	          bytes decide:
//	    TLS ClientHello ─► its SNI allowed? mark passed: the packet walks the
//	                       rules again, the mark is saved to the connection,
//	                       and the rest goes on in the kernel
//	    HTTP/1.x head   ─► every request's Host allowed? the head goes, with its
//	                       body as it comes; the connection stays pending, so
//	                       the next head is judged too
//	    anything else   ─► the address rule (it was answered for an allowed
//	                       name): mark passed
//	    no name, a name off the allowlist, a ClientHello or head that does not
//	    parse ─► mark refused: the rules reset the connection, recorded as an
//	             event
//
// Nothing the agent sends reaches the destination before its name is judged:
// a packet whose bytes are not all judged is held in the kernel until they
// are. The check takes only bytes in order and compares bytes sent again with
// those it took; the agent has no CAP_NET_RAW or CAP_NET_ADMIN, so its stream
// is what its kernel sends, and the destination reads what the check judged.
// The TLS check reads the ClientHello without decrypting anything; names
// inside the encrypted part (the Host of HTTPS requests, an ECH inner name)
// are not seen, which is what the README calls domain fronting.
//
// Without a reader on the queue the kernel drops what the rules would queue:
// a dead check closes the path. A connection the check did not see open (it
// restarted) is reset; one whose conntrack entry was deleted (a cut) cannot
// start again, since only a SYN starts a pending connection.
package egress
