package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-sh/warden/shared"
)

// ErrUnknownProject marks a project id that names no project; Projects
// returns an error matching it.
var ErrUnknownProject = errors.New("no such project")

// Target is what the proxy needs to know of a project, on every request.
type Target struct {
	ID        string
	Name      string
	AgentType string
	// Ports are the declared ports, sorted.
	Ports []int
	// Stopped: the project is meant to be stopped.
	Stopped bool
	// Running: its containers run; Addr is then its address.
	Running bool
	Problem string
	Addr    netip.Addr
	// Socket is the host path of the sidecar's control socket.
	Socket string
	// Mode and Allowed are the project's network mode and the names it
	// may reach (allowlist and grants, deny entries left out): the
	// previews' Content-Security-Policy (csp.go) is made of them, unless
	// CSPOff.
	Mode    shared.Mode
	Allowed []string
	CSPOff  bool
}

// Projects is what the proxy asks of the daemon. Preview is called on every
// request and every dial, so it must answer from memory.
type Projects interface {
	Preview(ctx context.Context, id string) (Target, error)
}

// reservedPort is never proxied: in every namespace it is the sidecar's
// DNS filter (see relay.Dialer).
const reservedPort = 53

// Proxy serves preview hosts. It is an http.Handler; Close ends the
// WebSocket tunnels it holds.
type Proxy struct {
	cfg      Config
	projects Projects
	log      *slog.Logger
	dial     *dialer
	rp       *httputil.ReverseProxy
	tr       *backendTransport
	tunnels  tunnels
	policies policyCache
	fast     fastConns
	loops    loopSet
	// fastServed counts the requests the fast path answered, loopServed
	// those of them an event loop answered, serverServed those passed on
	// through the HTTP server's handler (ServeHTTP).
	fastServed   atomic.Int64
	loopServed   atomic.Int64
	serverServed atomic.Int64
	// adoptHook, when set (by tests), sees each browser connection an
	// event loop takes.
	adoptHook func(fd int)
	// blindWaits, set by tests only, turns off the watch for a browser
	// that leaves while an answer is awaited (waitHook).
	blindWaits bool
	// ctx is the fast path's requests' context; Close ends it.
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns a proxy over projects with cfg (zero fields take their
// defaults).
func New(cfg Config, projects Projects, log *slog.Logger) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{cfg: cfg, projects: projects, log: log.With("component", "proxy")}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.dial = newDialer(cfg, projects)
	p.tr = newBackendTransport(cfg, p.dial.dialBackend)
	p.rp = &httputil.ReverseProxy{
		Rewrite:   rewrite,
		Transport: p.tr,
		// Every write is flushed: a dev server that pauses mid-body has
		// its bytes delivered. Small answers, the common case, take the
		// fast path (Intercept) instead.
		FlushInterval:  -1,
		BufferPool:     bufferPool{},
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.backendError,
		ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	return p, nil
}

// Stats counts the requests passed on to dev servers since the proxy
// started, by the path that served them.
type Stats struct {
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

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	loop := p.loopServed.Load()
	return Stats{Fast: p.cfg.Fast, FastPath: p.fastServed.Load() - loop, EventLoop: loop, Server: p.serverServed.Load()}
}

// Front returns the listener the daemon's HTTP server accepts on: ln
// behind Intercept's fast paths, or ln itself when Config.Fast is off.
func (p *Proxy) Front(ln net.Listener, opts ConnOptions) net.Listener {
	if !p.cfg.Fast {
		return ln
	}
	return p.Intercept(ln, opts)
}

// Close ends every WebSocket tunnel, the connections on the fast path
// (Intercept) with their requests, and closes idle connections to dev
// servers. Requests the HTTP server holds are its to end.
func (p *Proxy) Close() error {
	p.cancel()
	p.fast.closeAll()
	p.closeLoops()
	p.tunnels.closeAll()
	p.tr.closeIdle(true)
	return nil
}

// ServeHTTP answers one request for a preview host: the checks of the
// package doc in their order, then the dev server's answer.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, t, no := p.check(r.Context(), r, p.projects.Preview)
	if no != nil {
		if no.code != 0 {
			writePage(w, no.code, no.page)
		}
		return
	}
	// Uploads and streams may outlast the server's read timeout, which is
	// there for the API; past it, the server would also end the request's
	// context, and with it a quiet event stream.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	p.serverServed.Add(1)
	if isUpgrade(r) {
		p.serveUpgrade(w, r, h, t)
		return
	}
	p.rp.ServeHTTP(noSniff{w}, r.WithContext(context.WithValue(r.Context(), checkedKey{}, checked{h, t})))
}

// noSniff keeps net/http's server from adding a Content-Type the dev
// server did not send: it sniffs one from the first bytes of a body when
// they are written before the head, which ReverseProxy's flush timer
// makes a matter of timing for a body of unknown length.
type noSniff struct{ http.ResponseWriter }

func (w noSniff) WriteHeader(code int) {
	if h := w.Header(); h["Content-Type"] == nil {
		h["Content-Type"] = []string{} // present, so not sniffed; writes nothing
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w noSniff) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// checked is what a request's checks found, for its answer.
type checked struct {
	h Host
	t Target
}

type checkedKey struct{}

// modifyResponse readies the dev server's answer on the HTTP server's
// path: no CORS grants to another origin, Warden's policy added.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	_ = unreadableElsewhere(resp)
	if c, ok := resp.Request.Context().Value(checkedKey{}).(checked); ok {
		addPolicy(resp.Header, p.policyNow(resp.Request.Context(), c.h, c.t, p.projects.Preview))
	}
	return nil
}

// refusal is the proxy's own answer to a request it does not pass on; a
// zero code writes nothing (the browser has left).
type refusal struct {
	code int
	page page
}

// check runs the checks of the package doc in their order and returns the
// preview and its project, or why the request is refused.
func (p *Proxy) check(ctx context.Context, r *http.Request, preview func(context.Context, string) (Target, error)) (Host, Target, *refusal) {
	h, err := ParseHost(r.Host)
	if err != nil {
		return h, Target{}, &refusal{http.StatusBadRequest, badHostPage(err)}
	}
	if origin, foreign := foreignOrigin(r, h); foreign {
		p.log.Info("refused a request from another origin", "host", r.Host, "origin", origin, "method", r.Method)
		return h, Target{}, &refusal{http.StatusForbidden, foreignOriginPage(h, origin)}
	}
	t, err := preview(ctx, h.ProjectID)
	switch {
	case errors.Is(err, ErrUnknownProject):
		return h, t, &refusal{http.StatusNotFound, unknownProjectPage(h, uiURL(h))}
	case err != nil:
		if ctx.Err() != nil {
			return h, t, &refusal{}
		}
		return h, t, &refusal{http.StatusBadGateway, unreachablePage(h, Target{Name: h.ProjectID}, err)}
	case t.AgentType != h.AgentType:
		return h, t, &refusal{http.StatusNotFound, wrongAgentPage(h, t)}
	case h.Port == reservedPort:
		return h, t, &refusal{http.StatusForbidden, reservedPortPage(h)}
	case !slices.Contains(t.Ports, h.Port):
		return h, t, &refusal{http.StatusForbidden, undeclaredPage(h, t)}
	case t.Stopped:
		return h, t, &refusal{http.StatusBadGateway, stoppedPage(t)}
	case !t.Running:
		return h, t, &refusal{http.StatusBadGateway, notRunningPage(t)}
	}
	return h, t, nil
}

// rewrite aims the outbound request at the project's port, keeping the
// preview Host (dev servers that check Host accept *.localhost), Origin and
// Referer, and setting X-Forwarded-For, -Host and -Proto.
func rewrite(pr *httputil.ProxyRequest) {
	h, _ := ParseHost(pr.In.Host) // ServeHTTP parsed it already
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = backendAddr(h.ProjectID, h.Port)
	pr.Out.Host = pr.In.Host
	pr.SetXForwarded()
}

// backendError answers a request the dev server could not be reached for.
func (p *Proxy) backendError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil || errors.Is(err, errBrowserLeft) {
		return // the browser left; nobody reads an answer
	}
	h, _ := ParseHost(r.Host)
	t, terr := p.projects.Preview(r.Context(), h.ProjectID)
	if terr != nil {
		t = Target{ID: h.ProjectID, Name: h.ProjectID}
	}
	switch {
	case errors.Is(err, errNotListening):
		writePage(w, http.StatusBadGateway, notListeningPage(h, t))
	case errors.Is(err, errNotRunning):
		writePage(w, http.StatusBadGateway, notRunningPage(t))
	case errors.Is(err, errNoAnswer):
		p.log.Info("dev server sent no answer in time", "project", h.ProjectID, "port", h.Port, "wait", p.cfg.AnswerTimeout)
		writePage(w, http.StatusGatewayTimeout, noAnswerPage(h, t, p.cfg.AnswerTimeout))
	default:
		p.log.Info("dev server unreachable", "project", h.ProjectID, "port", h.Port, "err", err)
		writePage(w, http.StatusBadGateway, unreachablePage(h, t, err))
	}
}

// uiURL is the daemon's own page, on the port the browser used.
func uiURL(h Host) string {
	if h.Listen == 0 {
		return "http://localhost/"
	}
	return "http://localhost:" + strconv.Itoa(h.Listen) + "/"
}

// bufferPool lends ReverseProxy its copy buffers.
type bufferPool struct{}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *copyBuffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { copyBuffers.Put(&b) }
