package proxy

import (
	"fmt"
	"time"
)

// Routes: how the proxy reaches a dev server.
const (
	// RouteDirect dials the project's address on its Docker network, and
	// goes through the sidecar's relay only for a port nothing accepts on
	// there (a server bound to 127.0.0.1).
	RouteDirect = "direct"
	// RouteRelay always goes through the sidecar's relay.
	RouteRelay = "relay"
)

// Config is the proxy's configuration; DefaultConfig gives each field its
// stated default.
type Config struct {
	// Route is RouteDirect or RouteRelay. Default RouteDirect.
	Route string `json:"route"`
	// DialTimeout bounds one connection to a dev server, the relay's
	// included. Default 5s.
	DialTimeout time.Duration `json:"dialTimeout"`
	// HandshakeTimeout bounds a WebSocket handshake with the dev server.
	// Default 15s.
	HandshakeTimeout time.Duration `json:"handshakeTimeout"`
	// MaxIdlePerPort is how many idle keep-alive connections are kept to
	// one port of one project. Default 128.
	MaxIdlePerPort int `json:"maxIdlePerPort"`
	// IdleTimeout closes a kept connection unused this long. Default 90s.
	IdleTimeout time.Duration `json:"idleTimeout"`
	// Fast runs the fast paths (Front): plain requests answered on the
	// connection's goroutine and in event loops, in front of net/http's
	// server and httputil.ReverseProxy, which answer everything when it is
	// off. Default true.
	Fast bool `json:"fast"`
	// AnswerTimeout bounds the wait for a dev server's answer head, from
	// the request's sending: long enough for a first compile. A browser
	// that leaves ends the wait sooner. Default 5m.
	AnswerTimeout time.Duration `json:"answerTimeout"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Route:            RouteDirect,
		DialTimeout:      5 * time.Second,
		HandshakeTimeout: 15 * time.Second,
		MaxIdlePerPort:   128,
		IdleTimeout:      90 * time.Second,
		AnswerTimeout:    5 * time.Minute,
		Fast:             true,
	}
}

// withDefaults fills the fields left zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Route == "" {
		c.Route = d.Route
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = d.HandshakeTimeout
	}
	if c.MaxIdlePerPort <= 0 {
		c.MaxIdlePerPort = d.MaxIdlePerPort
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.AnswerTimeout <= 0 {
		c.AnswerTimeout = d.AnswerTimeout
	}
	return c
}

// Validate checks what a user may set.
func (c Config) Validate() error {
	if c.AnswerTimeout < 0 {
		return fmt.Errorf("preview answer timeout %s is negative; expect a duration such as 5m (0 takes the default)", c.AnswerTimeout)
	}
	switch c.Route {
	case "", RouteDirect, RouteRelay:
		return nil
	}
	return fmt.Errorf("preview route %q is not known; expect %s or %s", c.Route, RouteDirect, RouteRelay)
}
