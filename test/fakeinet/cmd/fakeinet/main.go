// Command fakeinet runs the test internet in a container: DNS on port 53 for
// the zone in a JSON file, and echo and HTTP servers on every zone address
// that is assigned to this host, and HTTPS on port 443 of each (one
// certificate for every name, from a CA made at start). GET http://<any zone address>:8053/questions
// lists the names the DNS server was asked.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/warden-sh/warden/test/fakeinet"
)

func main() {
	zonePath := flag.String("zone", "/etc/fakeinet/zone.json", "JSON object: name -> addresses or [\"CNAME target.\"]")
	dnsAddr := flag.String("dns", ":53", "address for the DNS server")
	flag.Parse()

	b, err := os.ReadFile(*zonePath)
	if err != nil {
		log.Fatalf("reading zone: %v", err)
	}
	var zone fakeinet.Zone
	if err := json.Unmarshal(b, &zone); err != nil {
		log.Fatalf("parsing zone %s: %v", *zonePath, err)
	}
	d := &fakeinet.DNS{Zone: zone}
	if _, err := fakeinet.ServeDNS(*dnsAddr, d); err != nil {
		log.Fatal(err)
	}
	local := map[string]bool{}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				local[ipn.IP.String()] = true
			}
		}
	}
	// Every name shares one certificate of a CA made here, which nothing
	// trusts: clients in the tests skip verification and judge the SNI.
	ca, err := fakeinet.NewCA()
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for name := range zone {
		names = append(names, strings.TrimSuffix(name, "."))
	}
	cert, err := ca.Issue(names...)
	if err != nil {
		log.Fatal(err)
	}
	served := 0
	for _, a := range zone.Addrs() {
		if !local[a.String()] {
			continue
		}
		if _, err := fakeinet.ServeEcho(a.String()); err != nil {
			log.Fatal(err)
		}
		if _, err := fakeinet.ServeHTTPS(a.String(), cert); err != nil {
			log.Fatal(err)
		}
		served++
	}
	http.HandleFunc("/questions", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(d.Questions())
	})
	go func() { log.Fatal(http.ListenAndServe(":8053", nil)) }()
	fmt.Printf("fakeinet: %d names, serving on %d local addresses\n", len(zone), served)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}
