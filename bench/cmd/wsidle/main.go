// Command wsidle measures the memory a process spends per idle WebSocket it
// holds: it reads the process's resident memory, opens conns WebSockets
// through it (a plain handshake, then silence), waits, reads the memory
// again, checks that the sockets still echo, and prints one JSON object.
//
//	wsidle -addr 127.0.0.1:8090 -host ID-claude-code-8000.localhost:8090 \
//	       -path /ws -conns 2000 -pid $(pidof warden)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// pidList is a repeatable -pid flag.
type pidList []int

func (p *pidList) String() string { return fmt.Sprint(*p) }
func (p *pidList) Set(v string) error {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return fmt.Errorf("bad pid %q; expect a process id", f)
		}
		*p = append(*p, n)
	}
	return nil
}

func main() {
	cfg := config{}
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8090", "address to connect to")
	flag.StringVar(&cfg.Host, "host", "", "Host header (and Origin http://HOST) of the handshake")
	flag.StringVar(&cfg.Path, "path", "/ws", "path of the WebSocket endpoint")
	flag.IntVar(&cfg.Conns, "conns", 2000, "WebSockets to hold")
	flag.Var(&cfg.PIDs, "pid", "process whose resident memory is read (repeatable: the sum is used, for nginx's workers)")
	flag.DurationVar(&cfg.Settle, "settle", 5*time.Second, "how long the sockets sit idle before the second reading")
	flag.Parse()
	if len(cfg.PIDs) == 0 || cfg.Host == "" {
		fmt.Fprintln(os.Stderr, "wsidle: -pid and -host are required")
		os.Exit(2)
	}
	res, err := run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsidle:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
}
