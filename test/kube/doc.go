// Package kube holds the Kubernetes backend's suite: it runs projects on the
// real single-node cluster that cluster.sh starts (make cluster) and probes
// from inside their pods. Every test is named TestKube... and fails, never
// skips, when the cluster is not up.
//
// The stand-in for the internet listens on the node, on the pod bridge's
// gateway address (198.18.0.1): an authoritative DNS server for the .test
// names on port 5353, which the sidecars use as their upstream, and echo and
// HTTP servers (fakeinet) that every .test name resolves to. The host
// gateway the sidecars know is the node's own address, where the API server
// listens.
package kube
