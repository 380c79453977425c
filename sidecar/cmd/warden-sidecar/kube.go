//go:build kube

package main

import (
	"context"
	"log/slog"
	"os"

	"golang.org/x/sync/errgroup"

	"github.com/warden-sh/warden/sidecar/engine"
	"github.com/warden-sh/warden/sidecar/kube"
	"github.com/warden-sh/warden/sidecar/ports"
)

// runKube enforces the policy of a ConfigMap until ctx ends. The engine has
// started closed; the ready file appears once the first policy is in place,
// and the pod's start gate (the sidecar's postStart hook) holds the agent
// back until then. A file an earlier run of the sidecar left in the pod is
// kept: the agent runs already, and the gate must not hold the kubelet's
// work on the pod while this run reads its policy. Events, counters and
// listening ports go to standard output as report lines, which the daemon
// follows through the API server (the log goes to standard error).
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
	r := &kube.Reporter{
		Out: os.Stdout, Status: eng.Status, Events: eng.Events(), Log: log,
		Ports: ports.Lister{}.Listening,
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.Run(ctx) })
	g.Go(func() error { return r.Run(ctx) })
	return g.Wait()
}
