package daemon

import (
	"context"
	"sync"

	"github.com/warden-sh/warden/shared"
	"github.com/warden-sh/warden/sidecar/control"
)

// controlClients is the real sidecar: one control.Client per socket path,
// kept so connections are reused between pushes.
type controlClients struct {
	mu      sync.Mutex
	clients map[string]*control.Client
}

func newControlClients() *controlClients {
	return &controlClients{clients: make(map[string]*control.Client)}
}

func (c *controlClients) client(socket string) *control.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.clients[socket]
	if !ok {
		cl = control.NewClient(socket)
		c.clients[socket] = cl
	}
	return cl
}

func (c *controlClients) PutPolicy(ctx context.Context, socket string, p shared.Policy) (shared.ApplyResult, error) {
	return c.client(socket).PutPolicy(ctx, p)
}

func (c *controlClients) Status(ctx context.Context, socket string) (shared.Status, error) {
	return c.client(socket).Status(ctx)
}

func (c *controlClients) Events(ctx context.Context, socket string, limit int) ([]shared.Event, error) {
	return c.client(socket).Events(ctx, limit)
}

func (c *controlClients) Follow(ctx context.Context, socket string, fn func(shared.Event)) error {
	return c.client(socket).Follow(ctx, fn)
}

func (c *controlClients) Listening(ctx context.Context, socket string) ([]shared.ListeningPort, error) {
	return c.client(socket).Listening(ctx)
}
