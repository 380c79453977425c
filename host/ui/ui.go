package ui

import (
	"html/template"
	"log/slog"
	"net/http"
)

// Handler serves the page and its static files. It is safe for concurrent
// use.
type Handler struct {
	log    *slog.Logger
	page   *template.Template
	login  *template.Template
	static *staticFiles
	mux    *http.ServeMux
}

// New returns the UI handler. The page carries no credential: the browser
// holds a session cookie the API set at login, which no script can read.
func New(log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		log:    log.With("component", "ui"),
		page:   template.Must(template.ParseFS(files, "templates/index.html")),
		login:  template.Must(template.ParseFS(files, "templates/login.html")),
		static: loadStatic(),
	}
	if err := h.static.addXterm(DefaultXtermDirs); err != nil {
		h.log.Warn("the web UI's terminal is off", "err", err)
	}
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /{$}", h.servePage)
	h.mux.HandleFunc("GET /login", h.serveLogin)
	h.mux.Handle("GET /static/", h.static)
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }
