package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
)

// shutdownGrace is how long requests in flight get to finish at shutdown.
const shutdownGrace = 5 * time.Second

// The listener's limits: for a request head, and for a connection that
// sends nothing.
const (
	headerTimeout = 10 * time.Second
	idleTimeout   = 2 * time.Minute
)

// Serve runs the daemon, its API and the preview proxy on cfg.Listen, and
// the API alone on the unix socket in the data folder, until ctx ends: it
// opens the store and the Docker runtime, creates (or reuses) the token,
// rebuilds the daemon's view from the containers, hands announce a first
// login address for the browser, and answers requests, each sent by its
// Host (frontDoor). On ctx's end it stops accepting, lets requests finish,
// stops the daemon and closes the store.
func Serve(ctx context.Context, cfg daemon.Config, log *slog.Logger, announce func(LoginCode)) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr, err := ListenAddress(cfg.Listen)
	if err != nil {
		return err
	}
	if err := CheckExposure(addr, cfg.ReachableFromNetwork); err != nil {
		return err
	}
	token, err := LoadOrCreateToken(cfg.DataDir)
	if err != nil {
		return err
	}
	d, err := daemon.Open(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	previews, err := proxy.New(cfg.Proxy, previewTargets{d}, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	sock, err := listenSocket(SocketPath(cfg.DataDir), cfg.SocketGroup)
	if err != nil {
		ln.Close()
		return err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	auth := NewAuth(token, "http://localhost:"+port)
	log.Info("listening", "component", "api", "addr", ln.Addr().String(), "socket", sock.Addr().String(),
		"token", TokenPath(cfg.DataDir), "data", cfg.DataDir)
	if announce != nil {
		lc, err := auth.NewLoginCode()
		if err != nil {
			ln.Close()
			sock.Close()
			return fmt.Errorf("making a login code: %w", err)
		}
		announce(lc)
	}

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		_ = d.Run(runCtx)
	}()
	h := NewServer(d, auth, log, WithPreviewStats(previews.Stats), WithPreviewAnswers(previews.Answers))
	onSocket := make(chan error, 1)
	go func() { onSocket <- serveOn(ctx, sock, h, log, socketConnContext) }()
	// Plain preview requests are answered on the connection they came on
	// (proxy.Intercept) unless the fast paths are off; the server gets
	// every other connection.
	front := previews.Front(ln, proxy.ConnOptions{HeaderTimeout: headerTimeout, IdleTimeout: idleTimeout})
	err = serveOn(ctx, front, frontDoor{api: h, previews: previews}, log, nil)
	if err != nil {
		sock.Close() // a failed TCP server takes the socket's down too
	}
	err = errors.Join(err, <-onSocket)
	previews.Close()
	stopRun()
	<-ran
	return err
}

// serveOn answers on ln until ctx ends, then shuts down gracefully.
// connContext, when set, marks each connection's context
// (socketConnContext).
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, connContext func(context.Context, net.Conn) context.Context) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: headerTimeout,
		ReadTimeout:       time.Minute,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		// Streams end when the daemon does, so Shutdown does not wait on them.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if connContext != nil {
		srv.ConnContext = connContext
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving the API: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shutting down the API: %w", err)
	}
	return nil
}

// ListenAddress checks a listen address and gives an address without a
// host the loopback one, so ":8090" changes the port and never opens the
// API to the network. Every interface (0.0.0.0, [::]) is used only when
// named explicitly.
func ListenAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("listen address %q: %v; expect host:port such as 127.0.0.1:8090", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("listen address %q: host %q is not an IP address or localhost; expect e.g. 127.0.0.1:8090", addr, host)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// CheckExposure refuses an address other machines could reach unless the
// user said so: every call stays authenticated, but the API would then
// face the network. Loopback addresses and localhost pass.
func CheckExposure(addr string, reachableFromNetwork bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v", addr, err)
	}
	if host == "localhost" || reachableFromNetwork {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Unmap().IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %s is reachable from the network; add --reachable-from-network to serve the API there "+
		"(every call stays authenticated), or keep 127.0.0.1 and reach it from another machine through an SSH tunnel "+
		"(ssh -L 8090:127.0.0.1:8090 this-host)", addr)
}
