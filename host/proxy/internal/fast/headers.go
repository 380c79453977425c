package fast

import (
	"net/http"
	"strings"
)

// HopHeaders are the hop-by-hop headers a proxy does not pass on (RFC 9110
// §7.6.1); Connection and Upgrade are set again for the upgrade itself.
var HopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// OutboundHeader is a request's header as the dev server gets it: a copy
// less the hop-by-hop headers (those Connection names too) and Forwarded,
// with X-Forwarded-For (remoteIP; none when empty), -Host (host) and
// -Proto set, and no User-Agent added where the browser sent none.
func OutboundHeader(in http.Header, remoteIP, host string) http.Header {
	out := in.Clone()
	if out == nil {
		out = make(http.Header)
	}
	RemoveHopHeaders(out)
	delete(out, "Host")
	delete(out, "Forwarded")
	if remoteIP != "" {
		out["X-Forwarded-For"] = []string{remoteIP}
	} else {
		delete(out, "X-Forwarded-For")
	}
	out["X-Forwarded-Host"] = []string{host}
	out["X-Forwarded-Proto"] = []string{"http"}
	if _, ok := out["User-Agent"]; !ok {
		out["User-Agent"] = []string{""} // Request.Write would add Go's
	}
	return out
}

// RemoveHopHeaders deletes the hop-by-hop headers from h, those its
// Connection header names included.
func RemoveHopHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" {
				h.Del(tok)
			}
		}
	}
	for _, k := range HopHeaders {
		delete(h, k)
	}
}
