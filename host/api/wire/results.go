package wire

import (
	"time"

	"github.com/warden-sh/warden/host/project"
)

// ProjectResult is the answer to an edit, start or restart: the project as
// stored and what became of its policy.
type ProjectResult struct {
	Project project.Project `json:"project"`
	Push    *PushResult     `json:"push,omitempty"`
}

// PushResult says what became of a policy change after it was stored.
// Applied: the sidecar enforces it, DurationMs is the sidecar's own apply
// time. Pending: it is stored but not yet enforced, Error says why, and the
// daemon keeps retrying. Neither: nothing needed pushing (the policy did not
// change, or the project is stopped and its sidecar reads the stored policy
// when it starts).
type PushResult struct {
	Applied    bool    `json:"applied"`
	Pending    bool    `json:"pending"`
	DurationMs float64 `json:"durationMs,omitempty"`
	// Cut counts the open connections the sidecar cut: those a tighter
	// mode does not allow, or those to removed domains when asked.
	Cut   int    `json:"cut,omitempty"`
	Error string `json:"error,omitempty"`
}

// DaemonStatus is GET /status: the daemon's own state, beside the
// projects'.
type DaemonStatus struct {
	// Previews counts the preview requests passed on to dev servers since
	// the daemon started, by the path that served them; nil when the
	// daemon serves no previews.
	Previews *PreviewStats `json:"previews"`
}

// LoginCode is a fresh one-time code and the address that uses it.
type LoginCode struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// PreviewStats counts the requests passed on to dev servers since the proxy
// started, by the path that served them.
type PreviewStats struct {
	// Fast reports whether the fast paths run (Config.Fast).
	Fast bool `json:"fast"`
	// FastPath: on a browser connection's goroutine (Intercept).
	FastPath int64 `json:"fastPath"`
	// EventLoop: in an event loop, with no goroutine per request.
	EventLoop int64 `json:"eventLoop"`
	// Server: through the HTTP server's handler (ServeHTTP): requests
	// with bodies, WebSockets, and everything when the fast paths are off.
	Server int64 `json:"server"`
}
