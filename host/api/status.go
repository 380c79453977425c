package api

import (
	"net/http"

	"github.com/warden-sh/warden/host/api/wire"
)

// DaemonStatus is the API's wire type (host/api/wire).
type DaemonStatus = wire.DaemonStatus

func (s *server) daemonStatus(w http.ResponseWriter, r *http.Request) {
	var st DaemonStatus
	if s.previewStats != nil {
		ps := s.previewStats()
		st.Previews = &ps
	}
	writeJSON(w, http.StatusOK, st)
}
