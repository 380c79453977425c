// Command dnsload sends DNS queries over UDP at a fixed rate and reports the
// latency distribution of the replies as one JSON object.
//
// It is open loop: query i leaves at start + i/rate whether or not earlier
// queries were answered, so a slow server shows up as latency and loss
// instead of quietly lowering the offered load. Each query asks for a
// distinct name (<prefix><i>.<zone>) so no cache in the path can answer it,
// and replies are matched to queries by message ID.
//
//	dnsload -server 127.0.0.1:53 -zone bench.example -rate 2000 -duration 10s
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.Server, "server", cfg.Server, "resolver to query (ip:port)")
	flag.StringVar(&cfg.Zone, "zone", cfg.Zone, "zone the query names are made under")
	flag.StringVar(&cfg.Prefix, "prefix", cfg.Prefix, "first label prefix; query i asks <prefix><i>.<zone>")
	flag.IntVar(&cfg.Rate, "rate", cfg.Rate, "queries per second")
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send (measured part)")
	flag.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "how long to send before measuring")
	flag.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "a query not answered within this is lost")
	flag.StringVar(&cfg.Rcode, "expect", cfg.Rcode, "reply code a reply must carry to count as answered")
	flag.Parse()

	res, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dnsload:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "dnsload:", err)
		os.Exit(1)
	}
}

// config is one load run.
type config struct {
	Server   string
	Zone     string
	Prefix   string
	Rate     int
	Duration time.Duration
	Warmup   time.Duration
	Timeout  time.Duration
	Rcode    string
}

func defaultConfig() config {
	return config{
		Server:   "127.0.0.1:53",
		Zone:     "bench.example",
		Prefix:   "lat",
		Rate:     2000,
		Duration: 10 * time.Second,
		Warmup:   time.Second,
		Timeout:  2 * time.Second,
		Rcode:    "NOERROR",
	}
}
