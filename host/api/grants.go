package api

import (
	"context"
	"net/http"
	"time"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
)

// GrantService is what the grant routes need of the daemon: names allowed
// for a while, removed from the sidecar when they expire.
type GrantService interface {
	AddGrant(ctx context.Context, ref, domain string, ttl time.Duration) (daemon.GrantResult, error)
	Grants(ctx context.Context, ref string) ([]project.Grant, error)
	RevokeGrant(ctx context.Context, ref, domain string) (project.Project, daemon.PushResult, error)
}

const grantShape = `expect {"domain": "example.com", "ttlSeconds": 3600}`

// grantBody is the body of POST .../grants.
type grantBody struct {
	Domain     string `json:"domain"`
	TTLSeconds int64  `json:"ttlSeconds"`
}

// grantView is a grant as the API shows it, with the seconds it has left
// by the daemon's clock.
type grantView struct {
	project.Grant
	SecondsLeft float64 `json:"secondsLeft"`
}

func viewGrants(gs []project.Grant, now time.Time) []grantView {
	out := make([]grantView, 0, len(gs))
	for _, g := range gs {
		out = append(out, grantView{Grant: g, SecondsLeft: max(g.ExpiresAt.Sub(now).Seconds(), 0)})
	}
	return out
}

func (s *server) listGrants(w http.ResponseWriter, r *http.Request) {
	gs, err := s.svc.Grants(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewGrants(gs, time.Now()))
}

func (s *server) addGrant(w http.ResponseWriter, r *http.Request) {
	var body grantBody
	if code, e := decodeBody(w, r, &body, grantShape); e != nil {
		writeError(w, code, *e)
		return
	}
	ttl, err := project.GrantTTL(body.TTLSeconds)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.svc.AddGrant(r.Context(), r.PathValue("id"), body.Domain, ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		Project project.Project   `json:"project"`
		Grant   grantView         `json:"grant"`
		Push    daemon.PushResult `json:"push"`
	}{res.Project, viewGrants([]project.Grant{res.Grant}, time.Now())[0], res.Push})
}

func (s *server) revokeGrant(w http.ResponseWriter, r *http.Request) {
	p, push, err := s.svc.RevokeGrant(r.Context(), r.PathValue("id"), r.PathValue("domain"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectResult{Project: p, Push: &push})
}
