package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/streaming/pkg/httpstream"
)

// DialPort connects to port in the project's pod through the API server's
// port-forward, so the daemon reaches a dev server from outside the
// cluster. One streaming connection per pod is kept and shared; each dial
// opens a data and an error stream on it. A port where nothing listens
// shows at the connection's first read or write, as an error matching
// syscall.ECONNREFUSED (see forwardConn).
func (r *Runtime) DialPort(ctx context.Context, id string, port int) (net.Conn, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("bad port %d; expect 1 to 65535", port)
	}
	if r.rest == nil {
		return nil, errors.New("port-forward needs the API server's client configuration; build the runtime with kube.New")
	}
	var lastErr error
	// A kept connection may have broken since its last use: one retry on
	// a new one.
	for range 2 {
		l, err := r.links.get(ctx, id, r.dialLink)
		if err != nil {
			return nil, err
		}
		c, err := l.openCtx(ctx, id, port)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, err // the caller left; the link may be fine
		}
		r.links.drop(id, l)
		lastErr = err
	}
	return nil, lastErr
}

// dialLink opens the pod's streaming connection: SPDY tunnelled in a
// WebSocket first, plain SPDY when the API server refuses that upgrade, as
// kubectl port-forward does.
func (r *Runtime) dialLink(id string) (httpstream.Connection, error) {
	u := r.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(r.cfg.Namespace).
		Name(objectName(id)).SubResource("portforward").URL()
	transport, upgrader, err := spdy.RoundTripperFor(r.rest)
	if err != nil {
		return nil, fmt.Errorf("preparing port-forward (SPDY): %w", err)
	}
	dialer := spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	tunnel, err := portforward.NewSPDYOverWebsocketDialerForStreaming(u, r.rest)
	if err != nil {
		return nil, fmt.Errorf("preparing port-forward (WebSocket): %w", err)
	}
	dialer = portforward.NewFallbackDialerForStreaming(tunnel, dialer, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	conn, _, err := dialer.Dial(portforward.PortForwardProtocolV1Name)
	if err != nil {
		return nil, fmt.Errorf("opening port-forward to pod %s: %w", objectName(id), err)
	}
	return conn, nil
}

// link is a pod's shared streaming connection.
type link struct {
	conn   httpstream.Connection
	nextID atomic.Uint64
	// broken is set when a forward showed the connection unfit for new
	// ones (forwardConn's onBroken): the pod may have been replaced under
	// the same name, or a refused forward's bytes block the kubelet's side.
	broken atomic.Bool
	// active counts the open forwards; a broken link is closed once its
	// last one is, so forwards in use are not cut.
	active  atomic.Int64
	retired atomic.Bool
}

// release ends one forward, and closes a retired link with its last.
func (l *link) release() {
	if l.active.Add(-1) == 0 && l.retired.Load() {
		_ = l.conn.Close()
	}
}

// retire takes the link out of use: closed now when idle, else when its
// last forward is.
func (l *link) retire() {
	l.retired.Store(true)
	if l.active.Load() == 0 {
		_ = l.conn.Close()
	}
}

// openCtx is open bounded by ctx: creating a stream waits for the other
// side's reply, and takes no context.
func (l *link) openCtx(ctx context.Context, id string, port int) (*forwardConn, error) {
	type opened struct {
		c   *forwardConn
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		c, err := l.open(id, port)
		ch <- opened{c, err}
	}()
	select {
	case o := <-ch:
		return o.c, o.err
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.c != nil {
				o.c.Close()
			}
		}()
		return nil, fmt.Errorf("opening port-forward to port %d: %w", port, ctx.Err())
	}
}

// open starts one forward to port: the error stream first, as the kubelet
// pairs them by request id.
func (l *link) open(id string, port int) (*forwardConn, error) {
	h := http.Header{}
	h.Set(corev1.StreamType, corev1.StreamTypeError)
	h.Set(corev1.PortHeader, strconv.Itoa(port))
	h.Set(corev1.PortForwardRequestIDHeader, strconv.FormatUint(l.nextID.Add(1), 10))
	errs, err := l.conn.CreateStream(h)
	if err != nil {
		return nil, fmt.Errorf("opening the error stream of a port-forward to port %d: %w", port, err)
	}
	_ = errs.Close() // nothing is written on it
	h.Set(corev1.StreamType, corev1.StreamTypeData)
	data, err := l.conn.CreateStream(h)
	if err != nil {
		_ = errs.Reset()
		l.conn.RemoveStreams(errs)
		return nil, fmt.Errorf("opening the data stream of a port-forward to port %d: %w", port, err)
	}
	remote := forwardAddr(objectName(id) + ":" + strconv.Itoa(port))
	l.active.Add(1)
	return newForwardConn(l.conn, data, errs, forwardAddr("warden"), remote, port,
		func() { l.broken.Store(true) }, l.release), nil
}

// links keeps one link per project; the zero value is ready.
type links struct {
	mu sync.Mutex
	m  map[string]*linkEntry
}

// linkEntry is a link being dialled or dialled: ready closes once link or
// err is set.
type linkEntry struct {
	ready chan struct{}
	link  *link
	err   error
}

// get returns the project's link, dialling it once for all callers. The
// dial itself takes no context (client-go's dialers do not); a caller whose
// ctx ends stops waiting, and the link is kept for the next.
func (ls *links) get(ctx context.Context, id string, dial func(string) (httpstream.Connection, error)) (*link, error) {
	ls.mu.Lock()
	if ls.m == nil {
		ls.m = make(map[string]*linkEntry)
	}
	e := ls.m[id]
	if e != nil && isReady(e) && e.link != nil && e.link.broken.Load() {
		delete(ls.m, id)
		e.link.retire()
		e = nil
	}
	if e == nil {
		e = &linkEntry{ready: make(chan struct{})}
		ls.m[id] = e
		go ls.dial(id, e, dial)
	}
	ls.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("opening port-forward to pod %s: %w", objectName(id), ctx.Err())
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.link, nil
}

func (ls *links) dial(id string, e *linkEntry, dial func(string) (httpstream.Connection, error)) {
	conn, err := dial(id)
	if err != nil {
		e.err = err
		ls.mu.Lock()
		if ls.m[id] == e {
			delete(ls.m, id) // the next call dials again
		}
		ls.mu.Unlock()
		close(e.ready)
		return
	}
	e.link = &link{conn: conn}
	close(e.ready)
	go func() {
		<-conn.CloseChan()
		ls.drop(id, e.link)
	}()
}

// drop forgets and closes the project's link if it is still l (nil: any).
func (ls *links) drop(id string, l *link) {
	ls.mu.Lock()
	e := ls.m[id]
	if e == nil || (l != nil && (!isReady(e) || e.link != l)) {
		ls.mu.Unlock()
		return
	}
	delete(ls.m, id)
	ls.mu.Unlock()
	select {
	case <-e.ready:
		if e.link != nil {
			_ = e.link.conn.Close()
		}
	default:
		// Still dialling: dial closes nothing it did not store, so the
		// connection is closed when it comes.
		go func() {
			<-e.ready
			if e.link != nil {
				_ = e.link.conn.Close()
			}
		}()
	}
}

func isReady(e *linkEntry) bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

// closeAll closes every link.
func (ls *links) closeAll() {
	ls.mu.Lock()
	ids := make([]string, 0, len(ls.m))
	for id := range ls.m {
		ids = append(ids, id)
	}
	ls.mu.Unlock()
	for _, id := range ids {
		ls.drop(id, nil)
	}
}
