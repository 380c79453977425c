package main

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

// startServer answers every question on loopback with code rcode, dropping
// every dropEvery-th query (0: none).
func startServer(t *testing.T, rcode, dropEvery int) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	var n atomic.Int64
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if i := n.Add(1); dropEvery > 0 && i%int64(dropEvery) == 0 {
			return
		}
		m := new(dns.Msg)
		m.SetRcode(r, rcode)
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestRun(t *testing.T) {
	tests := []struct {
		name         string
		rcode        int
		dropEvery    int
		expect       string
		wantAnswered int
	}{
		{"every query answered", dns.RcodeSuccess, 0, "NOERROR", 100},
		{"refusals counted apart", dns.RcodeRefused, 0, "NOERROR", 0},
		{"refusals expected", dns.RcodeRefused, 0, "REFUSED", 100},
		{"dropped queries lost", dns.RcodeSuccess, 10, "NOERROR", 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Server = startServer(t, tt.rcode, tt.dropEvery)
			cfg.Rate, cfg.Duration, cfg.Warmup, cfg.Timeout = 1000, 100*time.Millisecond, 0, 200*time.Millisecond
			cfg.Rcode = tt.expect
			res, err := run(cfg)
			require.NoError(t, err)
			require.Equal(t, 100, res.Sent)
			require.Equal(t, tt.wantAnswered, res.Answered)
			require.Equal(t, res.Sent-tt.wantAnswered, res.Lost)
			require.Equal(t, tt.wantAnswered, res.Latency.N)
		})
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	cfg := defaultConfig()
	cfg.Rate = 0
	_, err := run(cfg)
	require.ErrorContains(t, err, "rate 0")
	cfg = defaultConfig()
	cfg.Rcode = "MAYBE"
	_, err = run(cfg)
	require.ErrorContains(t, err, `"MAYBE"`)
}
