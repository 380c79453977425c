// Command egressload measures connections through the sidecar's name check
// for `make bench` (bench/egress.sh). It has four parts:
//
//	egressload serve -addr IP -dns IP:53 -name NAME   the destination and its DNS
//	egressload rate  -to IP:PORT -sni NAME             new connections per second, time to first answer byte
//	egressload bulk  -to IP:PORT -sni NAME -bytes N    one long download
//	egressload idle  -to IP:PORT -sni NAME -n N        holds N idle connections until stdin closes
//	egressload resolve -server IP:53 -name NAME         asks the sidecar's filter, so the name's address is allowed
//
// Each client connection starts with a real TLS ClientHello (made by
// crypto/tls for the name), so the check and nginx's ssl_preread both read an
// SNI; the destination answers it without a handshake, so the figures are
// the path's cost, not the cost of cryptography. Results are JSON on stdout.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: egressload serve|rate|bulk|idle [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "rate":
		err = rate(os.Args[2:])
	case "bulk":
		err = bulk(os.Args[2:])
	case "idle":
		err = idle(os.Args[2:])
	case "resolve":
		err = resolve(os.Args[2:])
	default:
		err = fmt.Errorf("unknown part %q; expect serve, rate, bulk or idle", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "egressload:", err)
		os.Exit(1)
	}
}
