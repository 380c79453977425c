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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/warden-sh/warden/host/proxy/internal/fast"
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
	// Dial, when set, is the only way to the project's ports: a backend
	// whose pods the daemon cannot reach at an address nor through a
	// socket (Kubernetes: the API server's port-forward) connects through
	// it. An error matching syscall.ECONNREFUSED, from Dial or from the
	// connection's first read or write, means nothing listens on the port.
	Dial func(ctx context.Context, port int) (net.Conn, error)
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
	tr       *fast.Transport
	fast     *fast.Server
	tunnels  tunnels
	policies policyCache
	// serverServed counts the requests passed on through the HTTP
	// server's handler (ServeHTTP).
	serverServed atomic.Int64
	// answers counts answers by project and status, on every path.
	answers answers
	// ctx is the fast paths' checks' context; Close ends it.
	ctx    context.Context
	cancel context.CancelFunc
}

// ConnOptions are the limits Intercept applies to the connections it
// reads.
type ConnOptions = fast.ConnOptions

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
	p.tr = fast.NewTransport(fast.TransportConfig{
		MaxIdlePerPort: cfg.MaxIdlePerPort, IdleTimeout: cfg.IdleTimeout, AnswerTimeout: cfg.AnswerTimeout,
	}, p.dial.dialBackend)
	_, inMemory := projects.(cachedPreviews)
	p.fast = fast.New(router{p}, p.tr, inMemory, p.log)
	p.rp = &httputil.ReverseProxy{
		Rewrite:   rewrite,
		Transport: p.tr,
		// Every write is flushed: a dev server that pauses mid-body has
		// its bytes delivered. Small answers, the common case, take the
		// fast path (Intercept) instead.
		FlushInterval:  -1,
		BufferPool:     fast.BufferPool{},
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.backendError,
		ErrorLog:       slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	return p, nil
}

// Stats is the API's wire type (host/api/wire).
type Stats = wire.PreviewStats

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	fastPath, loop := p.fast.Served()
	return Stats{Fast: p.cfg.Fast, FastPath: fastPath, EventLoop: loop, Server: p.serverServed.Load()}
}

// Intercept returns a listener over ln for an http.Server. Every
// connection accepted on ln is read by the fast paths first (package
// fast): while its requests are plain preview requests (GET or HEAD with
// no body and no upgrade, a head that fits in 4 KiB, every check of the
// package doc passed), they are answered there. At the first request that
// is anything else (the API, the UI, a WebSocket, an upload, a refusal, a
// malformed request), the connection goes to the server through the
// returned listener for good, that request still unread; the server's
// handler answers preview hosts through ServeHTTP.
func (p *Proxy) Intercept(ln net.Listener, opts ConnOptions) net.Listener {
	return p.fast.Intercept(ln, opts)
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
	p.fast.Close()
	p.tunnels.closeAll()
	p.tr.CloseIdle(true)
	return nil
}

// ServeHTTP answers one request for a preview host: the checks of the
// package doc in their order, then the dev server's answer.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, t, no := p.check(r.Context(), r, p.projects.Preview)
	if no != nil {
		if no.code != 0 {
			p.countPage(r.Host, no.code)
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
	p.rp.ServeHTTP(noSniff{w}, r)
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

// modifyResponse readies the dev server's answer on the HTTP server's
// path, as the fast paths do (router.Prepare).
func (p *Proxy) modifyResponse(resp *http.Response) error {
	p.prepare(resp.Request.Context(), resp.Request, resp.StatusCode, resp.Header, false)
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
	if r.Context().Err() != nil || errors.Is(err, fast.ErrBrowserLeft) {
		return // the browser left; nobody reads an answer
	}
	h, _ := ParseHost(r.Host)
	t, terr := p.projects.Preview(r.Context(), h.ProjectID)
	if terr != nil {
		t = Target{ID: h.ProjectID, Name: h.ProjectID}
	}
	switch {
	case errors.Is(err, errNotListening), errors.Is(err, syscall.ECONNREFUSED):
		p.countPage(r.Host, http.StatusBadGateway)
		writePage(w, http.StatusBadGateway, notListeningPage(h, t))
	case errors.Is(err, errNotRunning):
		p.countPage(r.Host, http.StatusBadGateway)
		writePage(w, http.StatusBadGateway, notRunningPage(t))
	case errors.Is(err, fast.ErrNoAnswer):
		p.log.Info("dev server sent no answer in time", "project", h.ProjectID, "port", h.Port, "wait", p.cfg.AnswerTimeout)
		p.countPage(r.Host, http.StatusGatewayTimeout)
		writePage(w, http.StatusGatewayTimeout, noAnswerPage(h, t, p.cfg.AnswerTimeout))
	default:
		p.log.Info("dev server unreachable", "project", h.ProjectID, "port", h.Port, "err", err)
		p.countPage(r.Host, http.StatusBadGateway)
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
