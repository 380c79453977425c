package api

import (
	"net/http"

	"github.com/warden-sh/warden/host/proxy"
)

// DaemonStatus is GET /status: the daemon's own state, beside the
// projects'.
type DaemonStatus struct {
	// Previews counts the preview requests passed on to dev servers since
	// the daemon started, by the path that served them; nil when the
	// daemon serves no previews.
	Previews *proxy.Stats `json:"previews"`
}

func (s *server) daemonStatus(w http.ResponseWriter, r *http.Request) {
	var st DaemonStatus
	if s.previewStats != nil {
		ps := s.previewStats()
		st.Previews = &ps
	}
	writeJSON(w, http.StatusOK, st)
}
