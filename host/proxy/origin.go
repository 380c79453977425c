package proxy

import (
	"mime"
	"net/http"
	"strings"
)

// foreignOrigin returns the Origin of a request that must come from the
// preview's own page and does not (unreadableElsewhere covers the others): a WebSocket (any) upgrade, or a request
// that is not CORS-simple, whose Origin is anything but the preview host
// itself. A page elsewhere (another preview included) then cannot open a
// socket to the dev server, nor send it what a form could not. A request
// without Origin is not a cross-site browser request and passes.
func foreignOrigin(r *http.Request, h Host) (string, bool) {
	origins := r.Header.Values("Origin")
	if len(origins) == 0 {
		return "", false
	}
	if !isUpgrade(r) && simple(r) {
		return "", false
	}
	if len(origins) == 1 && sameOrigin(origins[0], h) {
		return "", false
	}
	return strings.Join(origins, ", "), true
}

// sameOrigin compares an Origin with the preview, both normalised the way
// ParseHost reads them.
func sameOrigin(origin string, h Host) bool {
	const scheme = "http://"
	if len(origin) <= len(scheme) || !strings.EqualFold(origin[:len(scheme)], scheme) {
		return false
	}
	o, err := ParseHost(origin[len(scheme):])
	return err == nil && o == h
}

// simple reports a request a page on any site may send without a CORS
// preflight: GET, HEAD or POST with no body type or a form or text one.
// A preflight itself (OPTIONS) is not simple, so a cross-site page never
// gets as far as a request that would need one.
func simple(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		return false
	}
	ct := r.Header.Values("Content-Type")
	if len(ct) == 0 {
		return true
	}
	if len(ct) > 1 {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct[0])
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// isUpgrade reports a request to switch protocols (WebSocket).
func isUpgrade(r *http.Request) bool {
	if r.Header.Get("Upgrade") == "" {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// unreadableElsewhere takes the CORS grants off an answer to a request
// from another origin, so no page elsewhere can read a preview: dev servers
// grant them freely (Vite's default allows every *.localhost origin, that
// is every other project's preview). The request itself was simple, or it
// would have been refused.
func unreadableElsewhere(req *http.Request, hdr http.Header) {
	if req == nil || len(req.Header.Values("Origin")) == 0 {
		return
	}
	h, err := ParseHost(req.Host)
	if err == nil && len(req.Header.Values("Origin")) == 1 && sameOrigin(req.Header.Get("Origin"), h) {
		return
	}
	hdr.Del("Access-Control-Allow-Origin")
	hdr.Del("Access-Control-Allow-Credentials")
}
