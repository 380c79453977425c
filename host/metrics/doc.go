// Package metrics turns the daemon's view of its projects into Prometheus
// series, served at GET /metrics behind the API's authentication.
//
//	scrape ─► Collector.Collect ─► daemon.Sample: every project, and the
//	          │                    last status of each running sidecar
//	          │                    (its counters, read over the control
//	          │                    socket, in parallel, 1 s each at most)
//	          ├─► per-project counters and gauges, built at scrape time
//	          └─► the apply-latency histogram, fed by daemon.ObserveApply
//
// On the Kubernetes backend the status comes from memory: the counters the
// sidecar last reported in its log, which the daemon follows (host/kube),
// so a scrape asks the API server nothing per project.
//
// A sidecar's counters start again at zero when it restarts; Prometheus'
// rate() and increase() take such resets in their stride. Series carry the
// project's id; warden_project_info maps it to the name and mode.
package metrics
