package dnsfilter

import (
	"context"
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/warden-sh/warden/shared"
)

// Resolve looks up the A and AAAA records of entry itself upstream and adds
// the addresses, so a name added to a live policy is reachable before the
// agent's cached answers expire. A name without addresses (NXDOMAIN, no
// records) is not an error.
func (f *Filter) Resolve(ctx context.Context, entry shared.Domain) error {
	qtypes := [2]uint16{dns.TypeA, dns.TypeAAAA}
	errs := make([]error, len(qtypes))
	done := make(chan struct{})
	go func() {
		errs[1] = f.resolve(ctx, entry, qtypes[1])
		close(done)
	}()
	errs[0] = f.resolve(ctx, entry, qtypes[0])
	<-done
	return errors.Join(errs...)
}

func (f *Filter) resolve(ctx context.Context, entry shared.Domain, qtype uint16) error {
	name := dns.Fqdn(string(entry))
	query, err := packQuery(name, qtype, dns.ClassINET, queryOpts{rd: true, edns: true, udpSize: ednsSize})
	if err != nil {
		return fmt.Errorf("resolving %s %s: %w", entry, dns.Type(qtype), err)
	}
	raw, err := f.fwd.exchange(ctx, query, false)
	if err == nil && truncated(raw) {
		raw, err = f.fwd.exchange(ctx, query, true)
	}
	if err != nil {
		return fmt.Errorf("resolving %s %s: %w", entry, dns.Type(qtype), err)
	}
	if rc := rcode(raw); rc != dns.RcodeSuccess && rc != dns.RcodeNameError {
		return fmt.Errorf("resolving %s %s: upstream answered %s", entry, dns.Type(qtype), dns.RcodeToString[rc])
	}
	_, err = f.addAnswer(entry, name, raw)
	return err
}
