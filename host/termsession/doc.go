// Package termsession keeps terminal sessions that outlive their clients.
//
// A Session runs one command with a terminal (a Runner: in Warden, an exec
// in the agent container) and owns both ends of it: standard input is a
// pipe that attached clients write to, and every byte of output goes into
// a bounded ring (the scrollback) and to each attached client. A client
// that attaches first gets the scrollback, then the live output, in one
// unbroken sequence. Clients come and go; the command runs on with none.
// A client that cannot keep up is dropped (and may attach again) rather
// than slowing the command or the other clients. The last size a client
// asked for is the terminal's.
//
//	clients ──stdin──► pipe ──► Runner (exec, TTY) ──output──► ring + each client
package termsession
