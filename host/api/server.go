package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/metrics"
	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/proxy"
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
	TerminalService
	AuditService
	SuggestService
	DryRunService
}

var _ Service = (*daemon.Daemon)(nil)

// server holds the handlers' dependencies.
type server struct {
	svc  Service
	auth *Auth
	log  *slog.Logger
	ui   http.Handler
	// metrics serves GET /metrics (metricsHandler).
	metrics   http.Handler
	collector *metrics.Collector // nil without metrics
	// port is the TCP listener's, for answers built on the socket, whose
	// requests carry no port in their Host.
	port string
	// previewStats reads the preview proxy's counts (WithPreviewStats).
	previewStats func() proxy.Stats
}

// Option sets up a part of the server beyond the daemon.
type Option func(*server)

// WithPreviewStats gives GET /status the preview proxy's counts.
func WithPreviewStats(stats func() proxy.Stats) Option {
	return func(s *server) { s.previewStats = stats }
}

// WithPreviewAnswers makes GET /metrics report the preview proxy's answers
// by project and status.
func WithPreviewAnswers(answers func() []proxy.AnswerCount) Option {
	return func(s *server) {
		if s.collector != nil {
			s.collector.CountPreviews(answers)
		}
	}
}

// NewServer returns the API handler: routes behind the Host, Origin and
// authentication checks (guard), with an access log.
func NewServer(svc Service, auth *Auth, log *slog.Logger, opts ...Option) http.Handler {
	s := newServer(svc, auth, log)
	for _, o := range opts {
		o(s)
	}
	return accessLog{log: s.log, next: guard{auth: auth, mux: s.routes()}}
}

func newServer(svc Service, auth *Auth, log *slog.Logger) *server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "api")
	s := &server{svc: svc, auth: auth, log: log, ui: ui.New(log), port: portOfOrigin(auth.origin)}
	s.metrics, s.collector = metricsHandler(svc, log)
	return s
}

// route is one entry of the route table.
type route struct {
	pattern string
	handler http.Handler
}

// routeTable lists every route the server answers. The guard lets an
// unauthenticated caller reach only publicRoutes of it.
func (s *server) routeTable() []route {
	h := func(pattern string, f http.HandlerFunc) route { return route{pattern, f} }
	return []route{
		h("GET "+Prefix+"/health", s.health),
		h("GET "+Prefix+"/status", s.daemonStatus),
		h("GET "+Prefix+"/presets", s.presets),
		h("GET "+Prefix+"/projects", s.listProjects),
		h("POST "+Prefix+"/projects", s.createProject),
		h("GET "+Prefix+"/projects/{id}", s.getProject),
		h("PATCH "+Prefix+"/projects/{id}", s.updateProject),
		h("DELETE "+Prefix+"/projects/{id}", s.deleteProject),
		h("POST "+Prefix+"/projects/{id}/start", s.startProject),
		h("POST "+Prefix+"/projects/{id}/stop", s.stopProject),
		h("POST "+Prefix+"/projects/{id}/restart", s.restartProject),
		h("GET "+Prefix+"/projects/{id}/status", s.projectStatus),
		h("GET "+Prefix+"/projects/{id}/events", s.projectEvents),
		h("GET "+Prefix+"/projects/{id}/audit", s.projectAudit),
		h("GET "+Prefix+"/projects/{id}/suggestions", s.projectSuggestions),
		h("GET "+Prefix+"/schema/audit-record.json", s.auditSchema),
		h("GET "+Prefix+"/projects/{id}/ports", s.projectPorts),
		h("GET "+Prefix+"/projects/{id}/grants", s.listGrants),
		h("POST "+Prefix+"/projects/{id}/grants", s.addGrant),
		h("DELETE "+Prefix+"/projects/{id}/grants/{domain}", s.revokeGrant),
		h("GET "+Prefix+"/projects/{id}/exec", s.exec),
		h("GET "+Prefix+"/projects/{id}/sessions", s.listSessions),
		h("POST "+Prefix+"/projects/{id}/sessions", s.startSession),
		h("GET "+Prefix+"/projects/{id}/sessions/{name}/attach", s.attachSession),
		h("POST "+Prefix+"/login-codes", s.newLoginCode),
		{"GET /metrics", s.metrics},
		// The browser's login and logout, and the web UI, on the same Host
		// checks; the UI calls the routes above.
		h("POST "+LoginPath, s.login),
		h("POST /logout", s.logout),
		{"GET " + LoginPath, s.ui},
		{"GET /{$}", s.ui},
		{"GET /static/", s.ui},
		h("/", s.notFound),
	}
}

// routes is the router, built from the route table alone.
func (s *server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, rt.handler)
	}
	return mux
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, apiError{
		Message: "no API route " + r.Method + " " + quote(r.URL.Path) + "; routes are under " + Prefix,
	})
}
