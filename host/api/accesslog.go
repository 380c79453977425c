package api

import (
	"log/slog"
	"net/http"
	"time"
)

// accessLog logs one line per request, with the caller's uid for one on
// the unix socket. It never logs headers or bodies, so no token, cookie or
// login code can end up in a log.
type accessLog struct {
	log  *slog.Logger
	next http.Handler
}

func (a accessLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	a.next.ServeHTTP(rec, r)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	level := slog.LevelInfo
	if rec.code >= 500 {
		level = slog.LevelError
	}
	attrs := []any{
		"method", r.Method,
		"path", r.URL.Path,
		"host", r.Host,
		"status", rec.code,
		"bytes", rec.bytes,
		"ms", float64(time.Since(start).Microseconds()) / 1000,
		"remote", r.RemoteAddr,
	}
	if onSocket(r.Context()) {
		attrs = append(attrs, "uid", socketUID(r.Context()))
	}
	a.log.Log(r.Context(), level, "request", attrs...)
}

// recorder remembers the status code and size for the access log.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and write deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
