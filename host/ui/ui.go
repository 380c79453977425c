package ui

import (
	"html/template"
	"log/slog"
	"net/http"
)

// Handler serves the page and its static files. It is safe for concurrent
// use.
type Handler struct {
	token  string
	log    *slog.Logger
	page   *template.Template
	static *staticFiles
	mux    *http.ServeMux
}

// New returns the UI handler. token is the API token the page presents in
// the Authorization header of its calls.
func New(token string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		token:  token,
		log:    log.With("component", "ui"),
		page:   template.Must(template.ParseFS(files, "templates/index.html")),
		static: loadStatic(),
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.servePage)
	h.mux.Handle("GET /static/", h.static)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }
