//go:build kube

package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/warden-sh/warden/sidecar/engine"
	"github.com/warden-sh/warden/sidecar/kube"
)

// runKube enforces the policy of a ConfigMap until ctx ends. The engine has
// started closed; the ready file appears once the first policy is in place,
// and the pod's start gate (the sidecar's postStart hook) holds the agent
// back until then. A file an earlier run of the sidecar left in the pod is
// kept: the agent runs already, and the gate must not hold the kubelet's
// work on the pod while this run reads its policy.
func runKube(ctx context.Context, o *kubeOptions, eng *engine.Engine, log *slog.Logger) error {
	cs, err := kube.NewClient(o.client)
	if err != nil {
		return err
	}
	w := &kube.Watcher{
		Client: cs, Namespace: o.namespace, Name: o.name, Engine: eng, Log: log,
		Ready: func() {
			if err := os.WriteFile(o.readyFile, []byte("ready\n"), 0o644); err != nil {
				log.Error("writing ready file", "component", "main", "path", o.readyFile, "err", err)
			}
		},
	}
	return w.Run(ctx)
}
