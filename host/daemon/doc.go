// Package daemon is Warden's service layer: it owns the projects, keeps each
// one's containers in the state the user asked for, and keeps every running
// sidecar enforcing the project's stored policy. The HTTP API (host/api) is a
// thin shell over Daemon.
//
//	API call ──► Daemon ──► store (first: every change is durable before it acts)
//	                │
//	                ├──► runtime  (Docker: Start is idempotent, Stop, Remove, State)
//	                └──► sidecar  (control socket: PutPolicy, Status, Follow)
//
// A policy edit is stored with PolicyGen bumped, then written to the
// project's policy file and pushed to its sidecar; AppliedGen records the
// sidecar's confirmation. A push that cannot reach the sidecar leaves the
// project pending, and the reconcile loop retries it every
// Config.ReconcileInterval until it lands.
//
// The daemon converges one project at a time (converge.go) on these
// triggers: at start for every project and every labelled container (so a
// daemon killed mid-edit comes back to the stored truth), on Docker events
// (a sidecar that started again gets the current policy and its agent is
// moved into the new namespace), after the event stream reconnects, and on a
// slow timer. Containers of projects that no longer exist are removed.
//
// For every running project a follower reads the sidecar's event stream
// into the store's bounded history and fans it out to API followers. For
// every project a watcher reads .warden.json, whose ports are merged into
// the status; nothing in that file ever reaches the network policy.
//
// The preview proxy asks Preview on every request (previews.go): the
// project's agent type, declared ports, desired state, address and control
// socket, served from memory. Every project write and .warden.json change
// bumps one count and every container event or runtime call another
// (gen.go); a cached preview is reused only while both are unchanged, so
// an edit applies to the next request, and the container state is read
// again after at most previewStateTTL anyway. Ports adds what listens in
// the namespace (the sidecar's GET /v1/listening) for the UI's port chips.
//
// Agent types come from one registry (host/agent): the built-in ones, and
// those the plugins in Config.PluginsDir define (host/plugins, loaded by
// Open before the API answers). Create checks a spec's agent type against
// it, the runtime takes each type's image, env, config folders and health
// check from it, and Presets lists it with every plugin's state.
package daemon
