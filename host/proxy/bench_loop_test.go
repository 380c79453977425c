package proxy

import (
	"io"
	"net/http"
	"testing"

	"github.com/warden-sh/warden/shared"
)

// BenchmarkPlainRequests measures plain GETs through the fast paths (the
// event loops, in the steady state), a none project's policy added.
func BenchmarkPlainRequests(b *testing.B) {
	port := backend(b, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello\n")
	}))
	e := newEnvOn(b, true, port)
	e.projects.edit(testID, func(tg *Target) { tg.Mode = shared.ModeNone })
	host := e.host(port)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", e.server.URL+"/hello", nil)
		req.Host = host
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
