package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/warden-sh/warden/shared"
)

// lists are the two alternating allowlists. Each name gets its own address:
// list a from 198.51.100.0/24, list b from 203.0.113.0/24, starting at .16
// to stay clear of the benchmark's link addresses.
var lists = []struct {
	label string
	base  netip.Addr
}{
	{"a", netip.MustParseAddr("198.51.100.16")},
	{"b", netip.MustParseAddr("203.0.113.16")},
}

// maxDomains keeps each list's addresses (.16 to .245) inside its /24.
const maxDomains = 230

func domains(cfg config, list int) []string {
	out := make([]string, cfg.Domains)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d.%s", lists[list].label, i, cfg.Zone)
	}
	return out
}

func policy(cfg config, list int) shared.Policy {
	return shared.Policy{Mode: shared.ModeRestricted, Domains: domains(cfg, list)}
}

func hostsFile(cfg config) string {
	var b strings.Builder
	for l := range lists {
		addr := lists[l].base
		for _, name := range domains(cfg, l) {
			fmt.Fprintf(&b, "%s %s\n", addr, name)
			addr = addr.Next()
		}
	}
	return b.String()
}
