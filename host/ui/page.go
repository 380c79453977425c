package ui

import (
	"bytes"
	"html/template"
	"net/http"
)

// servePage answers GET / with the page; the API's guard let only an
// authenticated caller through, and a foreign Host, a foreign Origin or a
// request another site or a preview sibling (same-site) sent never gets
// here. On top of that the page goes only to a top-level navigation: not
// to a fetch, an iframe, an <object> or a script tag. A browser too old to
// send Sec-Fetch-* headers still cannot read the page from another origin
// (no CORS headers, Cross-Origin-Resource-Policy: same-origin).
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	h.serveTemplate(w, r, h.page)
}

// serveLogin answers GET /login: a page whose script takes the code from
// the address's fragment, drops it from the address bar and history, and
// trades it for a session cookie (POST /login).
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	h.serveTemplate(w, r, h.login)
}

func (h *Handler) serveTemplate(w http.ResponseWriter, r *http.Request, page *template.Template) {
	if reason := notNavigation(r); reason != "" {
		secure(w.Header())
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "the Warden UI is only served to a page opened in the browser's address bar: "+reason, http.StatusForbidden)
		return
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, nil); err != nil {
		h.log.Error("rendering the page", "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	secure(hdr)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// notNavigation says why r is not a top-level navigation from the UI's own
// origin or the user, or "" when it is. Missing headers are accepted:
// clients that are not browsers send none, and they are not the threat.
func notNavigation(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "none", "same-origin":
	default:
		return "Sec-Fetch-Site is " + site
	}
	switch mode := r.Header.Get("Sec-Fetch-Mode"); mode {
	case "", "navigate":
	default:
		return "Sec-Fetch-Mode is " + mode
	}
	switch dest := r.Header.Get("Sec-Fetch-Dest"); dest {
	case "", "document":
	default:
		return "Sec-Fetch-Dest is " + dest
	}
	return ""
}
