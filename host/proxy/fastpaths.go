package proxy

import (
	"context"
	"errors"
	"net/http"
)

// cachedPreviews is what a Projects may also offer: an answer from
// memory, false when the one held may be stale. The event loops, which
// never wait, run only over such a Projects.
type cachedPreviews interface {
	PreviewCached(id string) (Target, bool)
}

// errNotCached: memory holds nothing fresh; a goroutine asks.
var errNotCached = errors.New("not in memory")

// cached looks a project up in memory only; errNotCached otherwise.
func (p *Proxy) cached(_ context.Context, id string) (Target, error) {
	if c, ok := p.projects.(cachedPreviews); ok {
		if t, ok := c.PreviewCached(id); ok {
			return t, nil
		}
	}
	return Target{}, errNotCached
}

// lookup is how a project is read: from memory only, or as Projects does.
func (p *Proxy) lookup(memoryOnly bool) func(context.Context, string) (Target, error) {
	if memoryOnly {
		return p.cached
	}
	return p.projects.Preview
}

// router answers the fast paths' questions (fast.Router) with the same
// checks and headers as ServeHTTP.
type router struct{ p *Proxy }

func (r router) Admit(req *http.Request, memoryOnly bool) (string, bool) {
	h, _, no := r.p.check(r.p.ctx, req, r.p.lookup(memoryOnly))
	if no != nil {
		return "", false
	}
	return backendAddr(h.ProjectID, h.Port), true
}

func (r router) Prepare(req *http.Request, code int, hdr http.Header, memoryOnly bool) bool {
	return r.p.prepare(r.p.ctx, req, code, hdr, memoryOnly)
}

func (r router) Failed(w http.ResponseWriter, req *http.Request, err error) {
	r.p.backendError(w, req, err)
}

// prepare readies the header of a dev server's answer to req, on every
// path: no CORS grants to another origin, Warden's policy added as the
// project is now; the answer, of status code, is counted. With
// memoryOnly, false when memory holds nothing fresh.
func (p *Proxy) prepare(ctx context.Context, req *http.Request, code int, hdr http.Header, memoryOnly bool) bool {
	csp, project, ok := p.answerPolicy(ctx, req, memoryOnly)
	if !ok {
		return false
	}
	if project != "" {
		p.answers.add(project, code)
	}
	unreadableElsewhere(req, hdr)
	addPolicy(hdr, csp)
	return true
}
