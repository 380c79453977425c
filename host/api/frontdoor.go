package api

import (
	"net/http"

	"github.com/warden-sh/warden/host/proxy"
)

// frontDoor sends each request on the daemon's listener by its Host alone,
// before anything else looks at it: a name under localhost
// ({projectId}-{agentType}-{port}.localhost) to the preview proxy, every
// other Host to the API and UI, whose guard answers only localhost:<port>
// and 127.0.0.1:<port> (421 otherwise: a rebound public name never gets
// in). The API is never served on a preview Host, and the proxy never
// answers localhost:<port>.
type frontDoor struct {
	api      http.Handler
	previews http.Handler
}

func (f frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if proxy.IsPreviewHost(r.Host) {
		f.previews.ServeHTTP(w, r)
		return
	}
	f.api.ServeHTTP(w, r)
}
