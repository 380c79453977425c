// Command applyload measures how long a full policy apply takes through a
// running sidecar's control socket, and prints the distribution as JSON.
//
// It alternates two restricted policies of the same size whose domain lists
// do not overlap, so every apply swaps the whole allowlist: the DNS filter's
// matcher is replaced, and every address the previous list put in the
// kernel sets is removed. Before each timed apply it waits until the
// sidecar's background look-ups of the current list have filled the IPv4
// set, so the removals are real. A second phase alternates restricted and
// none, which also rewrites the iptables rules.
//
// The names are <list><NNN>.<zone>; -write-hosts prints a hosts file that
// maps each to its own documentation address, for the fake upstream.
//
//	applyload -socket /tmp/ctl.sock -domains 200 -applies 100
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/warden-sh/warden/sidecar/control"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Socket, "socket", cfg.Socket, "the sidecar's control socket")
	flag.StringVar(&cfg.Zone, "zone", cfg.Zone, "zone the policy's domains are made under")
	flag.IntVar(&cfg.Domains, "domains", cfg.Domains, "domains per policy (at most 230)")
	flag.IntVar(&cfg.Applies, "applies", cfg.Applies, "timed applies per phase")
	flag.DurationVar(&cfg.Settle, "settle", cfg.Settle, "longest wait for the sets to fill before an apply")
	writeHosts := flag.String("write-hosts", "", "write the hosts file for the fake upstream to this path and exit")
	flag.Parse()

	if *writeHosts != "" {
		if err := os.WriteFile(*writeHosts, []byte(hostsFile(cfg)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "applyload: writing hosts file:", err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := run(ctx, control.NewClient(cfg.Socket), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "applyload:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "applyload:", err)
		os.Exit(1)
	}
}

// config is one apply run.
type config struct {
	Socket  string
	Zone    string
	Domains int
	Applies int
	Settle  time.Duration
}

func defaultConfig() config {
	return config{
		Socket:  "/run/warden/control.sock",
		Zone:    "apply.example",
		Domains: 200,
		Applies: 100,
		Settle:  5 * time.Second,
	}
}
