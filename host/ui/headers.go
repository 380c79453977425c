package ui

import "net/http"

// contentPolicy lets the page load scripts, styles and images from its own
// origin only and talk to nothing but its own origin; no inline script or
// style runs, no form posts anywhere, and no other page may frame it.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// secure sets the headers every UI response carries. The page and the
// files may be read by the UI's own origin only: no other site can embed,
// frame or keep a handle on them.
func secure(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentPolicy)
}
