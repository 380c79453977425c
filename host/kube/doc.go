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
// A changed pod spec (the spec hash annotation differs) is replaced by Start.
// Pods carry the labels warden.sh/project and warden.sh/instance, so List
// rebuilds the picture from the cluster alone, and Watch turns pod changes
// into the daemon's container events.
package kube
