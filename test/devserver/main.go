// Command devserver is the dev server of the end-to-end and benchmark
// suites: it runs in the test agent image and answers what the preview
// proxy must carry.
//
//	devserver -listen 0.0.0.0:8000 -listen 127.0.0.1:8001 [-id NAME]
//
//	GET  /hello              "hello\n" (the benchmark's request)
//	GET  /sse?n=3&every=200ms  n server-sent events, each flushed as written
//	GET  /ws                 WebSocket echo (any origin: the proxy decides)
//	POST /upload             {"bytes": N, "sha256": "..."} of the body
//	GET  /download?bytes=N   N bytes
//	any other                JSON of what the request looked like here, with
//	                         Access-Control-Allow-Origin granted to any Origin
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var listen listFlag
	flag.Var(&listen, "listen", "address to listen on (repeatable)")
	id := flag.String("id", "", "name reported in every JSON answer")
	flag.Parse()
	if len(listen) == 0 {
		listen = listFlag{"0.0.0.0:8000"}
	}
	h := handler(*id)
	errs := make(chan error, len(listen))
	for _, addr := range listen {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			log.Fatalf("devserver: %v", err)
		}
		fmt.Fprintf(os.Stderr, "devserver: listening on %s\n", ln.Addr())
		go func() { errs <- (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	}
	log.Fatalf("devserver: %v", <-errs)
}

// Seen is what GET /anything answers.
type Seen struct {
	ID      string `json:"id"`
	Local   string `json:"local"` // the listener's address the request came in on
	Method  string `json:"method"`
	Host    string `json:"host"`
	Path    string `json:"path"`
	Query   string `json:"query"`
	Origin  string `json:"origin"`
	Referer string `json:"referer"`
	XFF     string `json:"xForwardedFor"`
	XFH     string `json:"xForwardedHost"`
	XFP     string `json:"xForwardedProto"`
}

var hello = []byte("hello\n")

func handler(id string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(hello)
	})
	mux.HandleFunc("GET /sse", sse)
	mux.HandleFunc("GET /ws", echo)
	mux.HandleFunc("POST /upload", upload)
	mux.HandleFunc("GET /download", download)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// As permissive as a dev server's default CORS (Vite grants every
		// *.localhost origin), so the proxy's withholding is what is tested.
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Vary", "Origin")
		}
		local := ""
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			local = a.String()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Seen{
			ID: id, Local: local, Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery,
			Origin: r.Header.Get("Origin"), Referer: r.Header.Get("Referer"),
			XFF: r.Header.Get("X-Forwarded-For"), XFH: r.Header.Get("X-Forwarded-Host"), XFP: r.Header.Get("X-Forwarded-Proto"),
		})
	})
	return mux
}

func sse(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	if n <= 0 {
		n = 3
	}
	every, err := time.ParseDuration(r.URL.Query().Get("every"))
	if err != nil {
		every = 200 * time.Millisecond
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	for i := range n {
		if i > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(every):
			}
		}
		fmt.Fprintf(w, "id: %d\ndata: event %d at %d\n\n", i, i, time.Now().UnixNano())
		if rc.Flush() != nil {
			return
		}
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	ctx := r.Context()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

func upload(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
}

func download(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("bytes"), 10, 64)
	if err != nil || n < 0 {
		http.Error(w, "expect ?bytes=N", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	buf := make([]byte, 64<<10)
	for n > 0 {
		k := min(n, int64(len(buf)))
		if _, err := w.Write(buf[:k]); err != nil {
			return
		}
		n -= k
	}
}
