package main

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/bench/internal/stats"
)

// clientHello is what a crypto/tls client sends first when it dials name.
func clientHello(name string) ([]byte, error) {
	c, s := net.Pipe()
	go func() {
		_ = tls.Client(c, &tls.Config{ServerName: name}).Handshake()
		c.Close()
	}()
	defer s.Close()
	var hdr [5]byte
	if _, err := io.ReadFull(s, hdr[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(s, body); err != nil {
		return nil, err
	}
	return append(hdr[:], body...), nil
}

func clientFlags(name string, args []string) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	to := fs.String("to", "", "destination ip:port")
	sni := fs.String("sni", "bench.example", "the name in the ClientHello")
	return fs, to, sni
}

func emit(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }

// rate opens connections back to back from -conns workers for -duration:
// each sends the ClientHello, waits for the answer byte and closes.
func rate(args []string) error {
	fs, to, sni := clientFlags("rate", args)
	conns := fs.Int("conns", 16, "workers")
	duration := fs.Duration("duration", 10*time.Second, "how long")
	_ = fs.Parse(args)
	hello, err := clientHello(*sni)
	if err != nil {
		return err
	}
	var done atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr atomic.Value
	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			buf := make([]byte, 1)
			for time.Now().Before(stop) {
				t0 := time.Now()
				c, err := net.Dial("tcp", *to)
				if err == nil {
					_, err = c.Write(hello)
				}
				if err == nil {
					_, err = io.ReadFull(c, buf)
				}
				if c != nil {
					c.(*net.TCPConn).SetLinger(0) // no TIME_WAIT pile-up on the client's ports
					c.Close()
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				local = append(local, time.Since(t0))
				done.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if done.Load() == 0 {
		if e, ok := firstErr.Load().(error); ok {
			return e
		}
		return errors.New("no connection completed")
	}
	return emit(map[string]any{"connsPerSec": float64(done.Load()) / duration.Seconds(), "latency": stats.Summarize(lat)})
}

// bulk downloads -bytes over one connection.
func bulk(args []string) error {
	fs, to, sni := clientFlags("bulk", args)
	n := fs.Int64("bytes", 2<<30, "bytes to download")
	_ = fs.Parse(args)
	hello, err := clientHello(*sni)
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", *to)
	if err != nil {
		return err
	}
	defer c.Close()
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], uint64(*n))
	t0 := time.Now()
	if _, err := c.Write(append(hello, cnt[:]...)); err != nil {
		return err
	}
	got, err := io.Copy(io.Discard, c)
	if err != nil {
		return err
	}
	if got != *n {
		return fmt.Errorf("got %d bytes, want %d", got, *n)
	}
	secs := time.Since(t0).Seconds()
	return emit(map[string]any{"mbps": float64(got) * 8 / 1e6 / secs, "seconds": secs})
}

// idle opens -n connections, each past its ClientHello and answered, prints
// "ready" and holds them until stdin closes.
func idle(args []string) error {
	fs, to, sni := clientFlags("idle", args)
	n := fs.Int("n", 2000, "connections")
	_ = fs.Parse(args)
	hello, err := clientHello(*sni)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, 0, *n)
	buf := make([]byte, 1)
	for range *n {
		c, err := net.Dial("tcp", *to)
		if err != nil {
			return err
		}
		if _, err := c.Write(hello); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	for _, c := range conns {
		c.Close()
	}
	return nil
}
