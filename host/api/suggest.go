package api

import (
	"context"
	"net/http"

	"github.com/warden-sh/warden/host/daemon"
)

// SuggestService is what the suggestions route needs of the daemon.
type SuggestService interface {
	Suggestions(ctx context.Context, ref string) ([]daemon.Suggestion, error)
}

// projectSuggestions answers GET .../suggestions: the entries that would
// allow what the agent was refused, most refused first.
func (s *server) projectSuggestions(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.Suggestions(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
