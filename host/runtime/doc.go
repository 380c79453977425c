// Package runtime runs each project as two Docker containers that share one
// network namespace: a sidecar that enforces the project's network policy and
// the agent that does the work.
//
//	Start(project)
//	  ├─ WritePolicy → SocketRoot/<id>/policy.json (temp + rename, 0600)
//	  ├─ sidecar "warden-<id>-sidecar": CAP_NET_ADMIN added, not privileged,
//	  │    host.docker.internal → host-gateway, SocketRoot/<id> bound at
//	  │    /run/warden (the sidecar only), restart unless-stopped,
//	  │    --host-gateway for the host-gateway address and the network's gateway
//	  ├─ wait until control.Client.Status reports Ready (policy fully in place),
//	  │    meanwhile create (not start) the agent container
//	  └─ agent "warden-<id>-agent" started: network container:<sidecar id>,
//	       NET_ADMIN, NET_RAW, MKNOD and SETFCAP dropped, pids/memory/CPU
//	       limits, the workspace bound at /workspace through an id-mapped view,
//	       no Docker socket, no restart policy (only Start runs it, and only
//	       after the sidecar is ready)
//
// The views: the workspace and HomeRoot/<id> are mounted id-mapped under
// MountRoot/<id> (open_tree + mount_setattr) just before the agent container
// is created and started, and unmounted once it runs, since the container
// keeps its own copy of each bind. The mapping holds one pair: the image's
// user and group become the workspace's owner, every other id is unmapped, so
// the agent's root cannot create, chown or mknod anything there. When the
// workspace holds a repository, .git is bound onto itself and its config,
// commondir, hooks and info read-only, so the user's own git runs nothing the
// agent wrote (unless the project sets gitConfigWritable).
//
// What the agent container holds besides comes from the project's agent type
// (Config.Agents, host/agent): the default image, environment (the project's
// own wins), a Docker health check, the command Exec runs when given none
// (recorded in a label), and the config folders where the agent keeps its
// login and settings, bound from HomeRoot/<id>/... so a login survives the
// container's recreation; Remove deletes them with the project.
//
// Every container carries the labels warden.project=<id> and warden.role, so
// List rebuilds the whole picture from the engine alone, and Watch reports
// the engine's lifecycle events for those containers. A container whose spec
// changed (the spec hash label differs) is recreated by Start; an agent that
// was started before its sidecar's current start sits in a namespace the
// sidecar no longer guards, and Start restarts it into the new one.
//
// The package talks to the engine through dockerAPI, a narrow interface over
// the Docker client; unit tests replace it with a fake.
package runtime
