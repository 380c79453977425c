//go:build kube

package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/warden-sh/warden/sidecar/kube"
)

// kubeOptions are the settings of the Kubernetes mode (sidecar/kube).
type kubeOptions struct {
	namespace, name string
	client          kube.ClientConfig
	readyFile       string
}

// addKubeFlags registers the Kubernetes mode's flags; the function it
// returns sets o.kube from them once the flags are parsed (policySet: the
// command line also gave a policy of its own).
func addKubeFlags(set *flag.FlagSet) func(o *options, policySet bool) error {
	configMap := set.String("policy-configmap", "", "NAMESPACE/NAME of the ConfigMap holding the policy (Kubernetes mode: watched through the API server, no control socket; starts closed)")
	kubeAPI := set.String("kube-api", "", "Kubernetes mode: the API server's URL as the pod reaches it, e.g. https://192.0.2.2:6443")
	kubeToken := set.String("kube-token", kube.DefaultTokenFile, "Kubernetes mode: service-account token file")
	kubeCA := set.String("kube-ca", kube.DefaultCAFile, "Kubernetes mode: CA bundle of the API server")
	readyFile := set.String("ready-file", "/tmp/warden-ready", "Kubernetes mode: file created once the first policy is in place (the pod's start gate)")
	return func(o *options, policySet bool) error {
		if *configMap == "" {
			return nil
		}
		ns, name, err := kube.ParseRef(*configMap)
		if err != nil {
			return fmt.Errorf("bad --policy-configmap: %w", err)
		}
		if policySet {
			return errors.New("--policy-configmap takes the policy from the API server; leave out --policy-file, --mode and --domain")
		}
		if *kubeAPI == "" {
			return errors.New("--policy-configmap needs --kube-api, the API server's URL as the pod reaches it")
		}
		o.kube = &kubeOptions{namespace: ns, name: name, readyFile: *readyFile,
			client: kube.ClientConfig{Server: *kubeAPI, TokenFile: *kubeToken, CAFile: *kubeCA, Mark: o.cfg.Firewall.Mark}}
		return nil
	}
}
