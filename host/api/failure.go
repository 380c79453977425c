package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/project"
)

// fail maps a daemon error to its status code: 400 for a refused setting
// (with the field), 404 for an unknown project, 409 for a clash, 500 for
// the rest.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *project.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, apiError{Message: fe.Error(), Field: fe.Field, Value: fe.Value})
	case errors.Is(err, daemon.ErrNotFound):
		writeError(w, http.StatusNotFound, apiError{Message: err.Error()})
	case errors.Is(err, daemon.ErrConflict):
		writeError(w, http.StatusConflict, apiError{Message: err.Error()})
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads an answer.
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, apiError{Message: err.Error()})
	}
}
