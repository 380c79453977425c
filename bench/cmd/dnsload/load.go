package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/warden-sh/warden/bench/internal/stats"
)

// result is what dnsload prints.
type result struct {
	Server   string         `json:"server"`
	Rate     int            `json:"rate"`
	Sent     int            `json:"sent"`
	Answered int            `json:"answered"`
	Lost     int            `json:"lost"`
	Rcodes   map[string]int `json:"rcodes"`
	// SendLagMs is the worst delay of a send behind its schedule; a large
	// one means the generator, not the server, shaped the load.
	SendLagMs float64       `json:"sendLagMaxMs"`
	Latency   stats.Summary `json:"latency"`
}

// inflight remembers when each outstanding query left, by message ID.
type inflight struct {
	mu      sync.Mutex
	sentAt  map[uint16]time.Time
	measure map[uint16]bool
}

func run(cfg config) (result, error) {
	res := result{Server: cfg.Server, Rate: cfg.Rate, Rcodes: map[string]int{}}
	if cfg.Rate <= 0 || cfg.Rate > 60000 {
		return res, fmt.Errorf("rate %d: expect 1 to 60000 queries per second (IDs must not wrap within the timeout)", cfg.Rate)
	}
	wantRcode, ok := dns.StringToRcode[cfg.Rcode]
	if !ok {
		return res, fmt.Errorf("unknown reply code %q; expect NOERROR, REFUSED, NXDOMAIN, ...", cfg.Rcode)
	}
	conn, err := net.Dial("udp", cfg.Server)
	if err != nil {
		return res, fmt.Errorf("opening UDP socket to %s: %w", cfg.Server, err)
	}
	defer conn.Close()
	_ = conn.(*net.UDPConn).SetReadBuffer(4 << 20)

	fl := &inflight{sentAt: map[uint16]time.Time{}, measure: map[uint16]bool{}}
	var (
		lat      []time.Duration
		answered int
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			now := time.Now()
			if err != nil {
				if errors.Is(err, net.ErrClosed) || isTimeout(err) {
					return
				}
				continue
			}
			var m dns.Msg
			if m.Unpack(buf[:n]) != nil {
				continue
			}
			fl.mu.Lock()
			at, ok := fl.sentAt[m.Id]
			measured := fl.measure[m.Id]
			delete(fl.sentAt, m.Id)
			delete(fl.measure, m.Id)
			fl.mu.Unlock()
			if !ok || !measured {
				continue
			}
			res.Rcodes[dns.RcodeToString[m.Rcode]]++
			if m.Rcode != wantRcode {
				continue
			}
			answered++
			lat = append(lat, now.Sub(at))
		}
	}()

	interval := time.Second / time.Duration(cfg.Rate)
	warm := int(cfg.Warmup / interval)
	total := warm + int(cfg.Duration/interval)
	var lag time.Duration
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		} else if -d > lag {
			lag = -d
		}
		id := uint16(i)
		q := new(dns.Msg)
		q.SetQuestion(fmt.Sprintf("%s%d.%s.", cfg.Prefix, i, cfg.Zone), dns.TypeA)
		q.Id = id
		wire, err := q.Pack()
		if err != nil {
			return res, fmt.Errorf("packing query %d: %w", i, err)
		}
		fl.mu.Lock()
		fl.sentAt[id] = time.Now()
		fl.measure[id] = i >= warm
		fl.mu.Unlock()
		if _, err := conn.Write(wire); err != nil {
			return res, fmt.Errorf("sending query %d: %w", i, err)
		}
		if i >= warm {
			res.Sent++
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(cfg.Timeout))
	<-done

	res.Answered = answered
	res.Lost = res.Sent - answered
	res.SendLagMs = stats.Ms(lag)
	res.Latency = stats.Summarize(lat)
	return res, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
