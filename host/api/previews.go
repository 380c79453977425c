package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
)

// previewSource is what the API's daemon gives the preview proxy.
type previewSource interface {
	Preview(ctx context.Context, id string) (daemon.Preview, error)
	PreviewCached(id string) (daemon.Preview, bool)
}

// previewTargets adapts the daemon to proxy.Projects.
type previewTargets struct{ d previewSource }

func (p previewTargets) Preview(ctx context.Context, id string) (proxy.Target, error) {
	pv, err := p.d.Preview(ctx, id)
	if errors.Is(err, daemon.ErrNotFound) {
		return proxy.Target{}, fmt.Errorf("%w: %w", proxy.ErrUnknownProject, err)
	}
	if err != nil {
		return proxy.Target{}, err
	}
	return pv, nil
}

// PreviewCached lets the proxy's event loops route from memory.
func (p previewTargets) PreviewCached(id string) (proxy.Target, bool) {
	return p.d.PreviewCached(id)
}
