// Package termwire is the wire format of the API's terminal streams: the
// exec route and session attachments. Both the daemon's API and the CLI
// import it; it knows nothing of either.
//
// One WebSocket carries everything. A binary message is one chunk of a
// stream: its first byte names the stream (Stdin from the client, Stdout
// and Stderr from the daemon), the rest is the data. A text message is one
// JSON Control: the client's start (exec only), resize and eof; the
// daemon's attached, exit and error. The daemon ends a stream with exit
// (the command's code) or error, then closes the WebSocket normally.
//
//	client                               daemon
//	  ── {"type":"start","cmd":[…]} ──►     (exec only; the first message)
//	  ◄── {"type":"attached",…} ──           (attach only; then the scrollback)
//	  ── 0x00 stdin bytes ──►
//	  ── {"type":"resize","rows":…} ──►
//	  ◄── 0x01 stdout bytes / 0x02 stderr
//	  ── {"type":"eof"} ──►                  (closes the command's stdin)
//	  ◄── {"type":"exit","code":3} ──
package termwire
