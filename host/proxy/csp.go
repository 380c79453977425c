package proxy

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/warden-sh/warden/shared"
)

// A preview page is the agent's code running in the user's browser, which
// reaches the whole internet: the network policy stops at the container.
// So every answer the proxy passes on carries Warden's
// Content-Security-Policy besides the dev server's own, if any (a browser
// applies both, and a request must pass each). For a project in mode none
// the page may load and send to its own origin only; in mode restricted
// also to https:// on every allowed name and the names under it; in mode
// full, or with the project's switch off (Target.CSPOff), nothing is
// added. 'unsafe-inline' and 'unsafe-eval' stay allowed for the page's own
// code, which dev servers and hot reload need.
//
// What CSP cannot stop: a top-level navigation (window.location, window.open,
// a link the user clicks) to another site with the data in its address;
// WebRTC and DNS prefetching. The README says so.

// cspHeader is the header Warden's policy is added as.
const cspHeader = "Content-Security-Policy"

// pageCSP is the policy of the proxy's own pages: no script, no request.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'"

// previewPolicy returns Warden's policy for the answers of preview h of
// project t; "" when none is added.
func previewPolicy(h Host, t Target) string {
	if t.CSPOff {
		return ""
	}
	var allowed []string
	switch t.Mode {
	case shared.ModeNone:
	case shared.ModeRestricted:
		allowed = t.Allowed
	default: // full, or a mode this proxy does not know: not confined
		return ""
	}
	var src strings.Builder
	src.WriteString("'self'")
	for _, name := range allowed {
		if name == "" || strings.HasPrefix(name, shared.DenyPrefix) || !cspSafe(name) {
			continue
		}
		src.WriteString(" https://")
		src.WriteString(name)
		src.WriteString(" https://*.")
		src.WriteString(name)
	}
	own := src.String()
	auth := h.Authority()
	var b strings.Builder
	directive := func(name, extra string) {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name)
		b.WriteByte(' ')
		b.WriteString(own)
		if extra != "" {
			b.WriteByte(' ')
			b.WriteString(extra)
		}
	}
	// default-src covers what the named directives do not (object-src,
	// manifest-src, prefetches).
	directive("default-src", "")
	directive("connect-src", "ws://"+auth+" wss://"+auth)
	directive("script-src", "'unsafe-inline' 'unsafe-eval'")
	directive("style-src", "'unsafe-inline'")
	// data: and blob: addresses are the page's own bytes, never a request.
	directive("img-src", "data: blob:")
	directive("font-src", "data:")
	directive("media-src", "data: blob:")
	directive("frame-src", "")
	directive("worker-src", "")
	directive("form-action", "")
	return b.String()
}

// cspSafe reports a name that can stand in a source expression as it is:
// allowlist entries are canonical DNS names (shared.ParseDomain), so this
// only guards against what the store should never hold.
func cspSafe(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// policyCache holds the policies made, by preview and project state: the
// daemon hands out the same Allowed slice until the project changes, so
// a request costs a map lookup, not a string built.
type policyCache struct {
	m sync.Map // policyKey → string
	n atomic.Int64
}

type policyKey struct {
	h     Host
	mode  shared.Mode
	first *string // Allowed's backing array
	n     int
	off   bool
}

// maxCachedPolicies bounds the cache; past it, it starts again empty.
const maxCachedPolicies = 4096

func (c *policyCache) get(h Host, t Target) string {
	k := policyKey{h: h, mode: t.Mode, n: len(t.Allowed), off: t.CSPOff}
	if len(t.Allowed) > 0 {
		k.first = &t.Allowed[0]
	}
	if v, ok := c.m.Load(k); ok {
		return v.(string)
	}
	csp := previewPolicy(h, t)
	if c.n.Add(1) > maxCachedPolicies {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(k, csp)
	return csp
}

// answerPolicy returns Warden's policy for an answer to req, read from the
// project as it is now (an edit of its mode or allowlist applies to the
// next answer). A project that cannot be read gets the strictest policy,
// mode none's; with memoryOnly, false is returned instead when memory
// holds nothing fresh.
func (p *Proxy) answerPolicy(ctx context.Context, req *http.Request, memoryOnly bool) (csp, project string, ok bool) {
	h, err := ParseHost(req.Host)
	if err != nil {
		return pageCSP, "", true // never passed on: checked already
	}
	t, err := p.lookup(memoryOnly)(ctx, h.ProjectID)
	switch {
	case err != nil && memoryOnly:
		return "", "", false
	case err != nil:
		t = Target{Mode: shared.ModeNone}
	}
	return p.policies.get(h, t), h.ProjectID, true
}

// addPolicy adds csp to an answer's header, after the dev server's own.
func addPolicy(hdr http.Header, csp string) {
	if csp != "" {
		hdr[cspHeader] = append(hdr[cspHeader], csp)
	}
}
