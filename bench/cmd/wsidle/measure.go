package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type config struct {
	Addr   string
	Host   string
	Path   string
	Conns  int
	PIDs   pidList
	Settle time.Duration
}

// result is what wsidle prints.
type result struct {
	Conns       int     `json:"conns"`
	RSSBeforeKB int64   `json:"rssBeforeKB"`
	RSSAfterKB  int64   `json:"rssAfterKB"`
	KBPerConn   float64 `json:"kbPerConn"`
	Echoed      int     `json:"echoed"` // sockets checked after the second reading
}

func run(cfg config) (result, error) {
	res := result{Conns: cfg.Conns}
	before, err := rssKB(cfg.PIDs)
	if err != nil {
		return res, err
	}
	conns := make([]net.Conn, 0, cfg.Conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range cfg.Conns {
		c, err := handshake(cfg)
		if err != nil {
			return res, fmt.Errorf("WebSocket %d: %w", i, err)
		}
		conns = append(conns, c)
	}
	time.Sleep(cfg.Settle)
	after, err := rssKB(cfg.PIDs)
	if err != nil {
		return res, err
	}
	// The sockets must still work, or the figure would flatter the proxy.
	for i := 0; i < len(conns); i += max(1, len(conns)/20) {
		if err := echo(conns[i]); err != nil {
			return res, fmt.Errorf("WebSocket %d after idling: %w", i, err)
		}
		res.Echoed++
	}
	res.RSSBeforeKB, res.RSSAfterKB = before, after
	res.KBPerConn = float64(after-before) / float64(cfg.Conns)
	return res, nil
}

// handshake opens one WebSocket with a plain HTTP/1.1 upgrade.
func handshake(cfg config) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", cfg.Addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := "GET " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Host + "\r\nOrigin: http://" + cfg.Host +
		"\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(key) + "\r\n\r\n"
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("handshake answered %s", resp.Status)
	}
	if br.Buffered() > 0 {
		c.Close()
		return nil, fmt.Errorf("unexpected bytes after the handshake")
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// echo sends one masked text frame and reads the echo back.
func echo(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	payload := []byte("ping")
	mask := []byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(payload))}
	frame = append(frame, mask...)
	for i, b := range payload {
		frame = append(frame, b^mask[i%4])
	}
	if _, err := c.Write(frame); err != nil {
		return err
	}
	head := make([]byte, 2+len(payload))
	if _, err := io.ReadFull(c, head); err != nil {
		return err
	}
	if string(head[2:]) != "ping" {
		return fmt.Errorf("echo was %q", head[2:])
	}
	return nil
}

// rssKB sums VmRSS of the processes.
func rssKB(pids []int) (int64, error) {
	var sum int64
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			return 0, fmt.Errorf("reading memory of process %d: %w", pid, err)
		}
		found := false
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("process %d: VmRSS %q", pid, v)
				}
				sum += n
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("process %d reports no VmRSS", pid)
		}
	}
	return sum, nil
}
