package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
)

// DryRunService is what a dry run of an edit needs of the daemon.
type DryRunService interface {
	DryRunUpdate(ctx context.Context, ref string, patch project.Patch) (daemon.DryRun, error)
}

// dryRunRequested reports whether PATCH .../projects/{id} asks only what the
// edit would do (?dryRun=1).
func dryRunRequested(r *http.Request) (bool, *apiError) {
	v := r.URL.Query().Get("dryRun")
	switch v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, &apiError{Field: "dryRun", Value: v, Message: "dryRun " + strconv.Quote(v) + " is not understood; expect 1, true, 0 or false"}
}

// dryRunProject answers a PATCH with ?dryRun=1: the project as the edit
// would leave it and the recent first contacts it would refuse
// (daemon.DryRun). Nothing changes.
func (s *server) dryRunProject(w http.ResponseWriter, r *http.Request, patch project.Patch) {
	res, err := s.svc.DryRunUpdate(r.Context(), r.PathValue("id"), patch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
