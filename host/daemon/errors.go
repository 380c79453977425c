package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/warden-sh/warden/host/store"
	"github.com/warden-sh/warden/sidecar/control"
)

var (
	// ErrNotFound marks a reference that names no project.
	ErrNotFound = errors.New("project not found")
	// ErrConflict marks a request that clashes with another project, such
	// as a name already in use.
	ErrConflict = errors.New("conflict")
)

func notFound(ref string) error {
	return fmt.Errorf("%w: no project has the id or name %q (`warden project ls` lists them)", ErrNotFound, ref)
}

func isStoreNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// pushReason says why a push did not land, in words for the user.
func pushReason(err error, timeout string) string {
	switch {
	case errors.Is(err, control.ErrUnreachable):
		return "the sidecar is not reachable (" + err.Error() + "); the change is stored and will be applied when it is back"
	case errors.Is(err, context.DeadlineExceeded):
		return "the sidecar did not answer within " + timeout + "; the change is stored and will be applied when it answers"
	case errors.Is(err, control.ErrBadPolicy):
		return "the sidecar refused the policy: " + err.Error()
	}
	return err.Error()
}
