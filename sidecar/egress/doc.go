// Package egress binds every TCP connection the agent opens in restricted mode
// to the name it carries. The firewall redirects (nat REDIRECT) each new TCP
// connection to an allowed address to the gate's listener on loopback; the
// agent still connects to the real address and sees it as its peer.
//
//	agent connect(203.0.113.7:443)
//	  └─ nat OUTPUT: set member, unmarked ─► REDIRECT 127.0.0.1:Port
//	       gate.accept ─► SO_ORIGINAL_DST = 203.0.113.7:443
//	         ├─ dial 203.0.113.7:443 on a marked socket (in parallel)
//	         └─ the first bytes decide:
//	              TLS ClientHello ─► its SNI allowed? forward it, then splice
//	              HTTP/1.x head   ─► every request's Host allowed? forward it
//	                                 with its body, check the next; answers spliced
//	              the server speaks first, or another protocol
//	                               ─► the address rule (it was answered for an
//	                                  allowed name): splice both ways
//	              anything else that looks like TLS or HTTP but does not parse,
//	              no name, a name off the allowlist ─► cut, recorded as an event
//
// Nothing the agent sends reaches the destination before its name is judged:
// the dial carries only the TCP handshake. Bytes move between the two sockets
// with io.Copy, which splices between TCP connections without copying them
// through user space. The TLS check reads the ClientHello without decrypting
// anything; names inside the encrypted part (the Host of HTTPS requests, an
// ECH inner name) are not seen, which is what the README calls domain fronting.
package egress
