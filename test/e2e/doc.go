// Package e2e drives Warden end to end the way a user does: the real
// `warden serve` daemon, the `warden` CLI, the real Docker engine, the
// warden-sidecar and test agent images. The world it builds:
//
//	Docker network warden-e2e-* (a free documentation /24 such as
//	203.0.113.0/24; dynamic addresses from .128)
//	 ├─ fakeinet container .10: DNS for the test zone, echo and HTTP
//	 │  servers on .11… (one address per name)
//	 └─ per project: sidecar (upstream .10:53) + agent (probe)
//	host: the daemon on 127.0.0.1, an HTTP server the agent reaches as
//	host.docker.internal
//
// Every name a test resolves is answered by fakeinet, and no test addresses
// anything but the project's own containers and the host. The images come
// from `make images`; tests fail, never skip, when Docker or an image is
// missing.
package e2e
