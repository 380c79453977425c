//go:build !kube

package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"

	"github.com/warden-sh/warden/sidecar/engine"
)

// The Kubernetes mode (--policy-configmap) links client-go, whose start-up
// alone would double the sidecar's memory on Docker; it is built into
// warden-sidecar-kube (-tags kube) only.

type kubeOptions struct{}

func addKubeFlags(*flag.FlagSet) func(*options, bool) error {
	return func(*options, bool) error { return nil }
}

func runKube(context.Context, *kubeOptions, *engine.Engine, *slog.Logger) error {
	return errors.New("this sidecar has no Kubernetes mode; run warden-sidecar-kube")
}
