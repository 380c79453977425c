// Package kube runs each project as one Kubernetes pod, the second runtime
// backend beside host/runtime's Docker one (warden serve --backend
// kubernetes). It offers the daemon the same ContainerRuntime, and a
// SidecarControl that speaks through the API server instead of a socket.
//
//	Start(project)
//	  ├─ ServiceAccount, Role and RoleBinding "warden-<id>": get, list,
//	  │    watch and patch on the one ConfigMap "warden-<id>" (resourceNames)
//	  ├─ ConfigMap "warden-<id>": data["policy.json"] (written if missing)
//	  └─ Pod "warden-<id>" (imagePullPolicy Never, no token automounted)
//	       ├─ init container "sidecar", restartPolicy Always (a native
//	       │    sidecar): NET_ADMIN added, the projected token and CA at
//	       │    the usual path (this container only), --policy-configmap;
//	       │    its postStart hook ends once the first policy is in place,
//	       │    so the agent starts after it (fail closed)
//	       └─ container "agent": NET_ADMIN, NET_RAW, MKNOD, SETFCAP
//	            dropped, the workspace from a hostPath at /workspace
//
//	WritePolicy / PutPolicy ─► ConfigMap data ─watch─► sidecar (sidecar/kube)
//	                 ◄─ annotations warden.sh/applied, apply-result ─┘
//
// What the sidecar observes comes back through its log, not a listener in
// the pod's namespace: it writes report lines (shared.KubeReport, JSON) to
// its standard output, its own log going to standard error, and the
// daemon's follower reads the sidecar container's log through the API
// server (pods/log?container=sidecar&follow=true&timestamps=true):
//
//	sidecar stdout ─► kubelet log ─► API server ─► Follow ─► events ─► daemon (audit log)
//	  event (each, in order)                          └─► feed: latest status, ports
//	  status (on change, ≤ 1/s; heartbeat 30 s)            ├─► Status  (+ ConfigMap cache) ─► /metrics
//	  ports  (on change, looked at 1/s; heartbeat)         └─► Listening ─► port chips
//
// Every line carries the sidecar run's boot id and a gap-free seq, and the
// runtime keeps a cursor (container, boot, seq, the kubelet's timestamp).
// A broken stream resumes at the cursor's second (sinceTime takes whole
// seconds) and drops what it saw; after a sidecar restart the rest of the
// old container's log is read with previous=true, then the new one from its
// start. The kubelet keeps one container back, so a sidecar replaced twice
// while its log is not read loses the middle run's lines (logged). A
// daemon's first read of a project starts at the newest event its store
// holds (FollowSince) and goes back two heartbeats at least, so the latest
// status and ports are in view; the store drops by time what it has.
// Status and Listening read memory only (the feed, and a watched cache of
// the instance's ConfigMaps), so a scrape costs no API call per project;
// Events reads the log's last lines through the API server.
//
// The agent cannot forge a report: it shares the pod's network namespace
// but not its processes (shareProcessNamespace stays unset), so it cannot
// open the sidecar's /proc/PID/fd/1, nor, as root without CAP_SYS_PTRACE,
// another user's; the log of its own container is never read, and what it
// controls inside a report (a name it asked for) is JSON-escaped and
// cannot end a line.
//
// A changed pod spec (the spec hash annotation differs) is replaced by Start.
// Pods carry the labels warden.sh/project and warden.sh/instance, so List
// rebuilds the picture from the cluster alone, and Watch turns pod changes
// into the daemon's container events.
package kube
