package daemon

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/host/proxy"
	"github.com/warden-sh/warden/shared"
)

// previewStateTTL is how long a container state read for previews is
// trusted when no event or lifecycle call said it changed.
const previewStateTTL = 5 * time.Second

// Preview is what the preview proxy needs to route one request to a
// project (proxy.Target). Daemon.Preview serves it from memory, so the
// proxy can ask on every request. Its Ports slice is shared; do not change
// it.
type Preview = proxy.Target

// previewCache keeps one Preview per project. A cached preview is reused
// while neither count moved: projects counts project writes and
// .warden.json changes, containers counts container events and the
// runtime calls that change containers.
type previewCache struct {
	projects   atomic.Uint64
	containers atomic.Uint64
	entries    sync.Map // project id → *previewEntry
}

type previewEntry struct {
	mu   sync.Mutex // one refresh at a time
	snap atomic.Pointer[previewSnap]
}

type previewSnap struct {
	p          Preview
	projectGen uint64
	stateGen   uint64
	stateAt    time.Time
}

// Preview returns the routing facts of the project whose id is id (names
// are not looked up: preview host names carry ids). An unknown id returns
// an error matching ErrNotFound.
func (d *Daemon) Preview(ctx context.Context, id string) (Preview, error) {
	if !project.ValidID(id) {
		return Preview{}, notFound(id)
	}
	c := &d.previews
	v, ok := c.entries.Load(id)
	if !ok {
		v, _ = c.entries.LoadOrStore(id, new(previewEntry))
	}
	e := v.(*previewEntry)
	if s := e.snap.Load(); s != nil && d.previewFresh(s, true, true) {
		return s.p, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.snap.Load()
	if s != nil && d.previewFresh(s, true, true) {
		return s.p, nil
	}
	next, err := d.refreshPreview(ctx, id, s)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			c.entries.Delete(id)
		}
		return Preview{}, err
	}
	e.snap.Store(next)
	return next.p, nil
}

// PreviewCached is Preview from memory only: false when the project is
// not held or what is held may be stale (Preview then reads it again).
func (d *Daemon) PreviewCached(id string) (Preview, bool) {
	v, ok := d.previews.entries.Load(id)
	if !ok {
		return Preview{}, false
	}
	if s := v.(*previewEntry).snap.Load(); s != nil && d.previewFresh(s, true, true) {
		return s.p, true
	}
	return Preview{}, false
}

// previewFresh reports whether the project part and the container part of
// s may be reused.
func (d *Daemon) previewFresh(s *previewSnap, project, state bool) bool {
	c := &d.previews
	if project && s.projectGen != c.projects.Load() {
		return false
	}
	return !state || (s.stateGen == c.containers.Load() && d.now().Sub(s.stateAt) < previewStateTTL)
}

// refreshPreview reads what changed since old (nil: everything).
func (d *Daemon) refreshPreview(ctx context.Context, id string, old *previewSnap) (*previewSnap, error) {
	c := &d.previews
	next := &previewSnap{}
	if old != nil && d.previewFresh(old, true, false) {
		next.p, next.projectGen = old.p, old.projectGen
	} else {
		next.projectGen = c.projects.Load()
		p, err := d.store.Get(id)
		if isStoreNotFound(err) {
			return nil, notFound(id)
		}
		if err != nil {
			return nil, err
		}
		w := d.wardenFile(id)
		next.p = Preview{
			ID:        p.ID,
			Name:      p.Name,
			AgentType: p.AgentType,
			Ports:     mergePorts(p.Ports, w.ports),
			Stopped:   p.Desired != project.DesiredRunning,
			Socket:    d.rt.SocketPath(id),
			Mode:      p.Mode,
			Allowed:   allowedNames(p),
			CSPOff:    p.PreviewCSPOff,
			Dial:      d.portDialer(p.ID),
		}
	}
	if old != nil && d.previewFresh(old, false, true) {
		next.stateGen, next.stateAt = old.stateGen, old.stateAt
		next.p.Running, next.p.Problem, next.p.Addr = old.p.Running, old.p.Problem, old.p.Addr
		return next, nil
	}
	next.stateGen, next.stateAt = c.containers.Load(), d.now()
	st, err := d.rt.State(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		next.p.Running, next.p.Problem, next.p.Addr = false, "the Docker engine did not answer: "+err.Error(), netip.Addr{}
		return next, nil
	}
	next.p.Running, next.p.Problem = st.Running, st.Error
	next.p.Addr = netip.Addr{}
	if a, err := netip.ParseAddr(st.Sidecar.IP); err == nil && st.Running {
		next.p.Addr = a.Unmap()
	}
	if !st.Running && next.p.Problem == "" {
		next.p.Problem = "sidecar " + st.Sidecar.Status + ", agent " + st.Agent.Status
	}
	return next, nil
}

// PortDialer is a runtime whose projects' ports the daemon reaches through
// the runtime itself (host/kube: the API server's port-forward) rather
// than at an address or through the sidecar's relay.
type PortDialer interface {
	DialPort(ctx context.Context, id string, port int) (net.Conn, error)
}

// portDialer is the preview proxy's way to the project's ports when the
// runtime has its own (PortDialer); nil otherwise.
func (d *Daemon) portDialer(id string) func(context.Context, int) (net.Conn, error) {
	rt := d.rt
	if g, ok := rt.(genRuntime); ok {
		rt = g.ContainerRuntime
	}
	pd, ok := rt.(PortDialer)
	if !ok {
		return nil
	}
	return func(ctx context.Context, port int) (net.Conn, error) { return pd.DialPort(ctx, id, port) }
}

// forgetPreview drops a deleted project's cached preview.
func (d *Daemon) forgetPreview(id string) { d.previews.entries.Delete(id) }

// allowedNames are the names a project's preview pages may reach: its
// allowlist and grants, deny entries left out.
func allowedNames(p project.Project) []string {
	var names []string
	for _, d := range p.Policy().Domains {
		if !shared.Domain(d).Deny() {
			names = append(names, d)
		}
	}
	return names
}
