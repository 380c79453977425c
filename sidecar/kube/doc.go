// Package kube is the sidecar's link to the Kubernetes API server, used when
// the project runs as a pod (warden-sidecar --policy-configmap NS/NAME):
//
//	API server ──watch (one ConfigMap, by name)──► Watcher
//	                                                 ├─ parse + validate data["policy.json"]
//	                                                 ├─ Applier.Apply (the engine)
//	                                                 ├─ first success: Ready (the start gate's file)
//	                                                 └─ patch annotations warden.sh/applied (digest)
//	                                                    and warden.sh/apply-result back onto the ConfigMap
//
// The sidecar has no control socket here and opens no listener: a Reporter
// writes what the daemon would ask for as report lines (shared.KubeReport)
// to standard output, which the daemon follows as the container's log
// through the API server; the sidecar's own log goes to standard error.
//
//	events.Log ─subscribe─► Reporter ─► stdout: {"warden":1,"kind":"event",...}  each event, in order
//	engine.Status ─1/s─────►          ─► {"kind":"status"}  when the counters change, and every 30 s
//	ports.Lister ─1/s──────►          ─► {"kind":"ports"}   when the listening ports change, and every 30 s
//
// Each line names the run (a random boot id) and counts from 1 without a
// gap, so the reader can resume after a break without loss or repeat. On
// SIGTERM the events still queued and the last counters are written before
// the sidecar exits.
//
// The sidecar starts closed (mode none) and stays so until a policy is read.
// While the API server cannot be reached the informer keeps retrying and the
// engine keeps the last policy it applied. A deleted ConfigMap closes the
// namespace again. An unreadable policy is refused and the last one kept.
//
// The credentials are the pod's projected service-account token, mounted
// into the sidecar container only; its Role allows get, list, watch and
// patch on that one ConfigMap. Connections to the API server carry the
// sidecar's firewall mark (sidecar/sockmark), so they pass in every mode
// while the agent's connections to the same address do not.
package kube
