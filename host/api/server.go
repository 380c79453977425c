package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/ui"
	"github.com/warden-sh/warden/shared"
)

// Prefix is the path every API route starts with.
const Prefix = "/api/v1"

// Service is what the API needs of the daemon; *daemon.Daemon implements
// it. A project reference is its id or its name.
type Service interface {
	Create(ctx context.Context, spec project.Spec) (project.Project, error)
	List(ctx context.Context) ([]project.Project, error)
	Get(ctx context.Context, ref string) (project.Project, error)
	Update(ctx context.Context, ref string, patch project.Patch) (project.Project, daemon.PushResult, error)
	Delete(ctx context.Context, ref string) error
	Start(ctx context.Context, ref string) (project.Project, daemon.PushResult, error)
	Stop(ctx context.Context, ref string) (project.Project, error)
	Restart(ctx context.Context, ref string) (project.Project, daemon.PushResult, error)
	Status(ctx context.Context, ref string) (daemon.Status, error)
	Events(ctx context.Context, ref string, limit int) ([]shared.Event, error)
	Follow(ctx context.Context, ref string, limit int, fn func(shared.Event)) error
	Presets() daemon.Presets
	Ports(ctx context.Context, ref string) (daemon.Ports, error)
	GrantService
}

var _ Service = (*daemon.Daemon)(nil)

// server holds the handlers' dependencies.
type server struct {
	svc Service
	log *slog.Logger
	ui  http.Handler
}

// NewServer returns the API handler: routes behind the Host, Origin and
// token checks, with an access log. token is what mutating calls must
// present as "Authorization: Bearer <token>".
func NewServer(svc Service, token string, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "api")
	s := &server{svc: svc, log: log, ui: ui.New(token, log)}
	return accessLog{log: log, next: guard{token: []byte(token), next: s.routes()}}
}

// routes is the route table.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/health", s.health)
	mux.HandleFunc("GET "+Prefix+"/presets", s.presets)
	mux.HandleFunc("GET "+Prefix+"/projects", s.listProjects)
	mux.HandleFunc("POST "+Prefix+"/projects", s.createProject)
	mux.HandleFunc("GET "+Prefix+"/projects/{id}", s.getProject)
	mux.HandleFunc("PATCH "+Prefix+"/projects/{id}", s.updateProject)
	mux.HandleFunc("DELETE "+Prefix+"/projects/{id}", s.deleteProject)
	mux.HandleFunc("POST "+Prefix+"/projects/{id}/start", s.startProject)
	mux.HandleFunc("POST "+Prefix+"/projects/{id}/stop", s.stopProject)
	mux.HandleFunc("POST "+Prefix+"/projects/{id}/restart", s.restartProject)
	mux.HandleFunc("GET "+Prefix+"/projects/{id}/status", s.projectStatus)
	mux.HandleFunc("GET "+Prefix+"/projects/{id}/events", s.projectEvents)
	mux.HandleFunc("GET "+Prefix+"/projects/{id}/ports", s.projectPorts)
	mux.HandleFunc("GET "+Prefix+"/projects/{id}/grants", s.listGrants)
	mux.HandleFunc("POST "+Prefix+"/projects/{id}/grants", s.addGrant)
	mux.HandleFunc("DELETE "+Prefix+"/projects/{id}/grants/{domain}", s.revokeGrant)
	// The web UI, on the same Host checks; it calls the routes above.
	mux.Handle("GET /{$}", s.ui)
	mux.Handle("GET /static/", s.ui)
	mux.HandleFunc("/", s.notFound)
	return mux
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, apiError{
		Message: "no API route " + r.Method + " " + quote(r.URL.Path) + "; routes are under " + Prefix,
	})
}
